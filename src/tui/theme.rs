//! Theme roles loaded from `themes/default.toml` (embedded) plus an optional user
//! `<config dir>/theme.toml`. `NO_COLOR` turns colour off; RGB is used only when `COLORTERM`
//! says the terminal has it, else the nearest xterm 256-colour index.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

use crate::model::OverlayStatus;

const DEFAULT_THEME: &str = include_str!("../../themes/default.toml");

/// How colours reach the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    None,
    Indexed,
    Rgb,
}

impl ColorMode {
    /// From `NO_COLOR` and `COLORTERM`.
    pub fn detect() -> ColorMode {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorMode::None;
        }
        match std::env::var("COLORTERM").map(|v| v.to_ascii_lowercase()) {
            Ok(v) if v == "truecolor" || v == "24bit" => ColorMode::Rgb,
            _ => ColorMode::Indexed,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Theme {
    mode: ColorMode,
    colors: BTreeMap<String, Color>,
}

impl Theme {
    /// The default theme with the user's overrides, in the detected colour mode.
    pub fn load(config_dir: Option<&Path>) -> Theme {
        let mut theme = Theme::with_mode(ColorMode::detect());
        if let Some(path) = config_dir.map(|d| d.join("theme.toml")) {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if let Err(e) = theme.merge(&text) {
                    tracing::warn!("theme {}: {e}; using the default theme", path.display());
                }
            }
        }
        theme
    }

    pub fn with_mode(mode: ColorMode) -> Theme {
        let mut theme = Theme {
            mode,
            colors: BTreeMap::new(),
        };
        if let Err(e) = theme.merge(DEFAULT_THEME) {
            tracing::error!("built-in theme: {e}");
        }
        theme
    }

    fn merge(&mut self, text: &str) -> Result<(), String> {
        let raw: BTreeMap<String, String> = toml::from_str(text).map_err(|e| e.to_string())?;
        for (role, value) in raw {
            let color = parse_color(&value).ok_or(format!("role {role}: bad colour '{value}'"))?;
            self.colors.insert(role, color);
        }
        Ok(())
    }

    fn color(&self, role: &str) -> Option<Color> {
        let c = *self.colors.get(role)?;
        match (self.mode, c) {
            (ColorMode::None, _) => None,
            (ColorMode::Indexed, Color::Rgb(r, g, b)) => Some(Color::Indexed(rgb_to_256(r, g, b))),
            (_, c) => Some(c),
        }
    }

    /// Foreground style of a role.
    pub fn fg(&self, role: &str) -> Style {
        match self.color(role) {
            Some(c) => Style::default().fg(c),
            None => Style::default(),
        }
    }

    pub fn status(&self, status: OverlayStatus) -> Style {
        let role = match status {
            OverlayStatus::Pending => "pending",
            OverlayStatus::Claimed => "claimed",
            OverlayStatus::AiComplete => "staged",
            OverlayStatus::Confirmed => "confirmed",
            OverlayStatus::Failed => "failed",
        };
        let s = self.fg(role);
        if self.mode == ColorMode::None && status == OverlayStatus::Failed {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    /// The cursor row; without colour, reversed video.
    pub fn selection(&self) -> Style {
        match (self.color("selection_bg"), self.color("selection_fg")) {
            (Some(bg), Some(fg)) => Style::default().bg(bg).fg(fg),
            _ => Style::default().add_modifier(Modifier::REVERSED),
        }
    }

    /// The DEMO label; without colour, bold reversed.
    pub fn demo(&self) -> Style {
        match (self.color("demo_bg"), self.color("demo_fg")) {
            (Some(bg), Some(fg)) => Style::default().bg(bg).fg(fg).add_modifier(Modifier::BOLD),
            _ => Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        }
    }

    pub fn border(&self) -> Style {
        self.fg("border")
    }

    pub fn title(&self) -> Style {
        self.fg("title").add_modifier(Modifier::BOLD)
    }
}

fn parse_color(text: &str) -> Option<Color> {
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() != 6 {
            return None;
        }
        let v = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    text.parse::<Color>().ok()
}

/// Nearest xterm-256 index: the 6×6×6 cube or the grey ramp, whichever is closer.
pub fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let nearest = |v: u8| {
        (0..6)
            .min_by_key(|&i| (LEVELS[i] as i32 - v as i32).abs())
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (nearest(r), nearest(g), nearest(b));
    let cube = 16 + 36 * ri + 6 * gi + bi;
    let dist = |a: (u8, u8, u8)| {
        let d = |x: u8, y: u8| (x as i32 - y as i32).pow(2);
        d(a.0, r) + d(a.1, g) + d(a.2, b)
    };
    let cube_d = dist((LEVELS[ri], LEVELS[gi], LEVELS[bi]));
    let avg = (r as u32 + g as u32 + b as u32) / 3;
    let gi_ = ((avg.saturating_sub(8)) / 10).min(23) as u8;
    let grey = 8 + 10 * gi_;
    if dist((grey, grey, grey)) < cube_d {
        232 + gi_
    } else {
        cube as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_modes() {
        let rgb = Theme::with_mode(ColorMode::Rgb);
        assert_eq!(rgb.fg("failed").fg, Some(Color::Rgb(0xff, 0x5f, 0x5f)));
        let idx = Theme::with_mode(ColorMode::Indexed);
        assert_eq!(idx.fg("failed").fg, Some(Color::Indexed(203)));
        let none = Theme::with_mode(ColorMode::None);
        assert_eq!(none.fg("failed").fg, None);
        assert!(none.selection().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn grey_and_cube_mapping() {
        assert_eq!(rgb_to_256(0, 0, 0), 16);
        assert_eq!(rgb_to_256(255, 255, 255), 231);
        assert_eq!(rgb_to_256(0x80, 0x80, 0x80), 244);
    }
}
