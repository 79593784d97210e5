//! List markers painted as shapes: browser engines draw a `disc`, `circle` or `square` bullet
//! as a small filled or stroked path, not as a `•` glyph, so a list would read as paragraphs.
//! The interpreter hands every path operator here; each small, roughly square painted path is
//! kept as a mark (its box on the page), and `pdf_layout.rs` makes a line that starts just
//! right of one a list item.

use lopdf::Object;

/// Largest side of a bullet, in points (a disc at 24 pt text is about 8 pt).
const MAX_SIDE: f32 = 9.0;

fn num(o: &Object) -> f32 {
    match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        _ => 0.0,
    }
}

/// Painted bullet-sized shapes of one page, and the path being built.
#[derive(Default)]
pub(crate) struct Marks {
    path: Option<[f32; 4]>,
    pub(crate) found: Vec<[f32; 4]>,
}

impl Marks {
    /// Take a path construction or painting operator (with the current CTM); `false` for any
    /// other operator.
    pub(crate) fn op(&mut self, op: &str, o: &[Object], ctm: [f32; 6]) -> bool {
        let point = |x: f32, y: f32| {
            [
                ctm[0] * x + ctm[2] * y + ctm[4],
                ctm[1] * x + ctm[3] * y + ctm[5],
            ]
        };
        if !matches!(
            op,
            "m" | "l"
                | "c"
                | "v"
                | "y"
                | "re"
                | "h"
                | "n"
                | "f"
                | "F"
                | "f*"
                | "B"
                | "B*"
                | "b"
                | "b*"
                | "S"
                | "s"
        ) {
            return false;
        }
        let v: Vec<f32> = o.iter().map(num).collect();
        match op {
            "m" | "l" | "c" | "v" | "y" => {
                for p in v.chunks_exact(2) {
                    self.grow(point(p[0], p[1]));
                }
            }
            "re" if v.len() == 4 => {
                self.grow(point(v[0], v[1]));
                self.grow(point(v[0] + v[2], v[1] + v[3]));
            }
            "h" => {}
            "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" | "S" | "s" => {
                if let Some(b) = self.path.take().filter(|b| bullet_sized(*b)) {
                    self.found.push(b);
                }
            }
            "n" => self.path = None,
            _ => return false,
        }
        true
    }

    fn grow(&mut self, [x, y]: [f32; 2]) {
        self.path = Some(match self.path {
            Some([x0, y0, x1, y1]) => [x0.min(x), y0.min(y), x1.max(x), y1.max(y)],
            None => [x, y, x, y],
        });
    }
}

/// Small and about as high as wide: a bullet, not a rule, an underline or a table border.
fn bullet_sized([x0, y0, x1, y1]: [f32; 4]) -> bool {
    let (w, h) = (x1 - x0, y1 - y0);
    (1.0..=MAX_SIDE).contains(&w) && (1.0..=MAX_SIDE).contains(&h) && w <= 2.0 * h && h <= 2.0 * w
}
