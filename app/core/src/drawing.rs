//! Turns a drawing into an MNIST-like 28×28 image, the way MNIST itself was made: the ink's
//! bounding box scaled (area-averaged, so anti-aliased) to fit 20×20 keeping its aspect ratio,
//! then placed in 28×28 so that its centre of mass sits at the centre.

use crate::idx::{PIXELS, SIDE};

/// Side of the box the digit is scaled to fit.
const FIT: f32 = 20.0;
/// Intensities at or below this count as paper when finding the bounding box.
const PAPER: f32 = 0.05;

/// A drawing whose ink spans less than this share of the pad's side is a dot, not a digit.
const MIN_SPAN: f32 = 0.15;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawingError {
    #[error("nothing is drawn: draw a digit first")]
    Empty,
    #[error("that is only a dot: draw a digit first")]
    TooSmall,
    #[error("a {width}×{height} drawing needs {expected} pixels, got {found}")]
    Size { width: usize, height: usize, expected: usize, found: usize },
}

/// `ink` is `width × height` row-major, 0 = paper, 255 = ink (MNIST's polarity).
/// Returns 784 values in [0, 1].
pub fn to_mnist(ink: &[u8], width: usize, height: usize) -> Result<Vec<f32>, DrawingError> {
    if ink.len() != width * height || ink.is_empty() {
        return Err(DrawingError::Size { width, height, expected: width * height, found: ink.len() });
    }
    let at = |x: usize, y: usize| ink[y * width + x] as f32 / 255.0;

    // Bounding box of the ink.
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if at(x, y) > PAPER {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    if x0 == usize::MAX {
        return Err(DrawingError::Empty);
    }
    let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
    if (w.max(h) as f32) < MIN_SPAN * width.max(height) as f32 {
        return Err(DrawingError::TooSmall);
    }
    let scale = FIT / w.max(h) as f32;
    let (tw, th) = (((w as f32 * scale).round() as usize).max(1), ((h as f32 * scale).round() as usize).max(1));

    // Area-averaging resample of the box to tw × th, one axis at a time.
    let rows: Vec<Vec<f32>> = (y0..=y1).map(|y| resample(&(x0..=x1).map(|x| at(x, y)).collect::<Vec<_>>(), tw)).collect();
    let mut small = vec![0.0f32; tw * th];
    for x in 0..tw {
        let column: Vec<f32> = rows.iter().map(|r| r[x]).collect();
        for (y, v) in resample(&column, th).into_iter().enumerate() {
            small[y * tw + x] = v;
        }
    }

    // Centre of mass of the scaled digit (pixel centres at i + 0.5), moved to the field's centre.
    let mass: f32 = small.iter().sum();
    let (mut cx, mut cy) = (0.0, 0.0);
    for y in 0..th {
        for x in 0..tw {
            cx += (x as f32 + 0.5) * small[y * tw + x];
            cy += (y as f32 + 0.5) * small[y * tw + x];
        }
    }
    let half = SIDE as f32 / 2.0;
    let dx = (half - cx / mass).round() as isize;
    let dy = (half - cy / mass).round() as isize;

    let mut out = vec![0.0f32; PIXELS];
    for y in 0..th {
        for x in 0..tw {
            let (ox, oy) = (x as isize + dx, y as isize + dy);
            if (0..SIDE as isize).contains(&ox) && (0..SIDE as isize).contains(&oy) {
                out[oy as usize * SIDE + ox as usize] = small[y * tw + x].clamp(0.0, 1.0);
            }
        }
    }
    Ok(out)
}

/// Resamples a line of `src.len()` values to `n` values, each the average of the source
/// interval it covers (weighted by overlap), so thin strokes fade instead of vanishing.
fn resample(src: &[f32], n: usize) -> Vec<f32> {
    let step = src.len() as f32 / n as f32;
    (0..n)
        .map(|i| {
            let (start, end) = (i as f32 * step, (i + 1) as f32 * step);
            let mut total = 0.0;
            let mut j = start.floor() as usize;
            while (j as f32) < end && j < src.len() {
                let overlap = (end.min(j as f32 + 1.0) - start.max(j as f32)).max(0.0);
                total += src[j] * overlap;
                j += 1;
            }
            total / step
        })
        .collect()
}
