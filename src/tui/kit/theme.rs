//! Theme roles from one of the embedded themes (`themes/default.toml`, `light.toml`,
//! `high-contrast.toml`), chosen by `--theme NAME` or `theme = "NAME"` in
//! `<config dir>/config.toml`, plus an optional user `<config dir>/theme.toml` over it.
//! `NO_COLOR` turns colour off; RGB is used only when `COLORTERM` says the terminal has it, the
//! nearest xterm 256-colour index when `TERM` names a 256-colour terminal, else the nearest of the
//! 16 ANSI colours.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

use crate::model::OverlayStatus;

const DEFAULT_THEME: &str = include_str!("../../../themes/default.toml");

/// The built-in themes by name.
pub const THEMES: [(&str, &str); 3] = [
    ("default", DEFAULT_THEME),
    ("light", include_str!("../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../themes/high-contrast.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("unknown theme '{name}' (from {from}); the themes are: default, light, high-contrast")]
    Unknown { name: String, from: String },
    #[error("{path}: {reason}; fix or remove the file")]
    Config { path: String, reason: String },
}

/// How colours reach the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    None,
    /// The 16 ANSI colours (a terminal that announces neither truecolor nor 256 colours).
    Basic,
    Indexed,
    Rgb,
}

impl ColorMode {
    /// From `NO_COLOR`, `COLORTERM` and `TERM`.
    pub fn detect() -> ColorMode {
        let var = |k| std::env::var(k).ok();
        ColorMode::from_env(
            var("NO_COLOR").as_deref(),
            var("COLORTERM").as_deref(),
            var("TERM").as_deref(),
        )
    }

    pub fn from_env(no_color: Option<&str>, colorterm: Option<&str>, term: Option<&str>) -> Self {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ColorMode::None;
        }
        let colorterm = colorterm.unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            ColorMode::Rgb
        } else if term.is_some_and(|t| t.contains("256color")) {
            ColorMode::Indexed
        } else {
            ColorMode::Basic
        }
    }
}

#[derive(Debug, Clone)]
pub struct Theme {
    mode: ColorMode,
    colors: BTreeMap<String, Color>,
}

impl Theme {
    /// The theme named by `name` (`--theme`), else by `config.toml`, else the default, with the
    /// user's `theme.toml` overrides, in the detected colour mode.
    pub fn load(config_dir: Option<&Path>, name: Option<&str>) -> Result<Theme, ThemeError> {
        let (name, from) = match name {
            Some(n) => (n.to_string(), "--theme".to_string()),
            None => match configured(config_dir)? {
                Some(found) => found,
                None => ("default".to_string(), "the default".to_string()),
            },
        };
        let mut theme =
            Theme::named(&name, ColorMode::detect()).ok_or(ThemeError::Unknown { name, from })?;
        if let Some(path) = config_dir.map(|d| d.join("theme.toml")) {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if let Err(e) = theme.merge(&text) {
                    tracing::warn!("theme {}: {e}; using the built-in theme", path.display());
                }
            }
        }
        Ok(theme)
    }

    pub fn with_mode(mode: ColorMode) -> Theme {
        Theme::named("default", mode).unwrap_or(Theme {
            mode,
            colors: BTreeMap::new(),
        })
    }

    /// A built-in theme by name (`None`: no such theme).
    pub fn named(name: &str, mode: ColorMode) -> Option<Theme> {
        let (_, text) = THEMES.iter().find(|(n, _)| *n == name)?;
        let mut theme = Theme {
            mode,
            colors: BTreeMap::new(),
        };
        if let Err(e) = theme.merge(text) {
            tracing::error!("built-in theme {name}: {e}");
        }
        Some(theme)
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
            (ColorMode::Basic, Color::Rgb(r, g, b)) => Some(rgb_to_16(r, g, b)),
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
            // Page furniture and other skipped types: nothing to review, drawn quietly.
            OverlayStatus::Skipped => "muted",
        };
        let s = self.fg(role);
        if self.mode == ColorMode::None && status == OverlayStatus::Failed {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    /// The cursor row; without colour, or with only 16 (a dark grey becomes black), reversed
    /// video.
    pub fn selection(&self) -> Style {
        if self.mode == ColorMode::Basic {
            return Style::default().add_modifier(Modifier::REVERSED);
        }
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

/// `theme = "NAME"` in `<config dir>/config.toml` (other keys are left to their owners).
fn configured(config_dir: Option<&Path>) -> Result<Option<(String, String)>, ThemeError> {
    let Some(path) = config_dir.map(|d| d.join("config.toml")) else {
        return Ok(None);
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let bad = |reason: String| ThemeError::Config {
        path: path.display().to_string(),
        reason,
    };
    let table: toml::value::Table = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    match table.get("theme") {
        None => Ok(None),
        Some(toml::Value::String(name)) => Ok(Some((name.clone(), path.display().to_string()))),
        Some(other) => Err(bad(format!("theme must be a name in quotes, not {other}"))),
    }
}

/// The ANSI colour of the same hue (bright when the colour is), or black / dark grey / grey /
/// white for greys. Nearest-by-distance would turn most pastel status colours into grey.
pub fn rgb_to_16(r: u8, g: u8, b: u8) -> Color {
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max - min < 40 {
        return match max {
            0..=63 => Color::Black,
            64..=159 => Color::DarkGray,
            160..=223 => Color::Gray,
            _ => Color::White,
        };
    }
    let (rf, gf, bf, d) = (r as f32, g as f32, b as f32, (max - min) as f32);
    let hue = if max == r {
        60.0 * ((gf - bf) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((bf - rf) / d + 2.0)
    } else {
        60.0 * ((rf - gf) / d + 4.0)
    };
    let bright = max > 200;
    let pick = |dim: Color, light: Color| if bright { light } else { dim };
    match hue as u32 {
        30..=89 => pick(Color::Yellow, Color::LightYellow),
        90..=149 => pick(Color::Green, Color::LightGreen),
        150..=209 => pick(Color::Cyan, Color::LightCyan),
        210..=269 => pick(Color::Blue, Color::LightBlue),
        270..=329 => pick(Color::Magenta, Color::LightMagenta),
        _ => pick(Color::Red, Color::LightRed),
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
    fn terminal_announcements_pick_the_colour_mode() {
        let m = ColorMode::from_env;
        assert_eq!(m(Some("1"), Some("truecolor"), None), ColorMode::None);
        assert_eq!(m(Some(""), Some("truecolor"), None), ColorMode::Rgb);
        assert_eq!(m(None, Some("24bit"), Some("xterm")), ColorMode::Rgb);
        assert_eq!(m(None, None, Some("xterm-256color")), ColorMode::Indexed);
        assert_eq!(m(None, None, Some("xterm")), ColorMode::Basic);
        assert_eq!(m(None, None, Some("linux")), ColorMode::Basic);
        assert_eq!(m(None, None, None), ColorMode::Basic);
    }

    #[test]
    fn the_16_colour_fallback_keeps_roles_apart_and_reverses_the_selection() {
        let basic = Theme::with_mode(ColorMode::Basic);
        let fg = |role| basic.fg(role).fg.unwrap();
        assert_eq!(fg("failed"), Color::LightRed);
        assert_eq!(fg("confirmed"), Color::LightGreen);
        assert_ne!(fg("staged"), fg("confirmed"));
        for role in [
            "pending",
            "claimed",
            "staged",
            "confirmed",
            "failed",
            "text",
            "title",
        ] {
            assert!(
                !matches!(fg(role), Color::Rgb(..) | Color::Indexed(_)),
                "{role}: only the 16 ANSI colours"
            );
        }
        assert!(basic.selection().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn every_built_in_theme_parses_and_names_every_role() {
        let roles: Vec<String> = Theme::with_mode(ColorMode::Rgb)
            .colors
            .into_keys()
            .collect();
        for (name, _) in THEMES {
            let t = Theme::named(name, ColorMode::Rgb).unwrap();
            let mine: Vec<String> = t.colors.keys().cloned().collect();
            assert_eq!(mine, roles, "theme {name}");
        }
        let light = Theme::named("light", ColorMode::Rgb).unwrap();
        let dark = Theme::with_mode(ColorMode::Rgb);
        assert_ne!(light.fg("text").fg, dark.fg("text").fg);
        assert!(Theme::named("solarized", ColorMode::Rgb).is_none());
    }

    #[test]
    fn the_theme_comes_from_the_flag_else_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let rgb_text = |t: &Theme| t.colors.get("text").copied();
        let light = Theme::named("light", ColorMode::Rgb).unwrap();
        let hc = Theme::named("high-contrast", ColorMode::Rgb).unwrap();
        // No config file: the default, or the flag.
        let t = Theme::load(Some(dir.path()), None).unwrap();
        assert_eq!(rgb_text(&t), rgb_text(&Theme::with_mode(ColorMode::Rgb)));
        std::fs::write(dir.path().join("config.toml"), "theme = \"light\"\n").unwrap();
        assert_eq!(
            rgb_text(&Theme::load(Some(dir.path()), None).unwrap()),
            rgb_text(&light)
        );
        let t = Theme::load(Some(dir.path()), Some("high-contrast")).unwrap();
        assert_eq!(rgb_text(&t), rgb_text(&hc), "the flag wins over the file");
        let err = Theme::load(Some(dir.path()), Some("neon"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'neon'") && err.contains("--theme") && err.contains("light"),
            "{err}"
        );
        std::fs::write(dir.path().join("config.toml"), "theme = 3\n").unwrap();
        let err = Theme::load(Some(dir.path()), None).unwrap_err().to_string();
        assert!(
            err.contains("config.toml") && err.contains("theme must be"),
            "{err}"
        );
    }

    #[test]
    fn grey_and_cube_mapping() {
        assert_eq!(rgb_to_256(0, 0, 0), 16);
        assert_eq!(rgb_to_256(255, 255, 255), 231);
        assert_eq!(rgb_to_256(0x80, 0x80, 0x80), 244);
    }
}
