//! A drawing becomes an MNIST-like 28×28 image: fitted to 20×20, centred by mass, anti-aliased.

use filterlab_core::drawing::{DrawingError, to_mnist};

/// A `size × size` canvas with the rectangle [x0, x1) × [y0, y1) inked.
fn canvas(size: usize, x0: usize, x1: usize, y0: usize, y1: usize) -> Vec<u8> {
    let mut ink = vec![0u8; size * size];
    for y in y0..y1 {
        for x in x0..x1 {
            ink[y * size + x] = 255;
        }
    }
    ink
}

fn bbox(img: &[f32]) -> (usize, usize, usize, usize) {
    let inked: Vec<(usize, usize)> = (0..784).filter(|&i| img[i] > 0.0).map(|i| (i % 28, i / 28)).collect();
    let xs = inked.iter().map(|p| p.0);
    let ys = inked.iter().map(|p| p.1);
    (xs.clone().min().unwrap(), xs.max().unwrap(), ys.clone().min().unwrap(), ys.max().unwrap())
}

fn centre_of_mass(img: &[f32]) -> (f32, f32) {
    let mass: f32 = img.iter().sum();
    let cx: f32 = (0..784).map(|i| (i % 28) as f32 * img[i] + 0.5 * img[i]).sum::<f32>() / mass;
    let cy: f32 = (0..784).map(|i| (i / 28) as f32 * img[i] + 0.5 * img[i]).sum::<f32>() / mass;
    (cx, cy)
}

#[test]
fn a_square_in_a_corner_fills_twenty_by_twenty_in_the_middle() {
    let img = to_mnist(&canvas(280, 10, 110, 20, 120), 280, 280).unwrap();
    let (x0, x1, y0, y1) = bbox(&img);
    assert_eq!((x1 - x0 + 1, y1 - y0 + 1), (20, 20));
    let (cx, cy) = centre_of_mass(&img);
    assert!((cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5, "centre ({cx}, {cy})");
    assert!(img.iter().all(|&v| (0.0..=1.0).contains(&v)));
}

#[test]
fn a_vertical_stroke_keeps_its_aspect_ratio() {
    // 20 wide, 200 tall: scaled by 0.1 → 2 × 20.
    let img = to_mnist(&canvas(280, 130, 150, 40, 240), 280, 280).unwrap();
    let (x0, x1, y0, y1) = bbox(&img);
    assert_eq!(y1 - y0 + 1, 20);
    assert_eq!(x1 - x0 + 1, 2);
    let (cx, _) = centre_of_mass(&img);
    assert!((cx - 14.0).abs() <= 0.5, "centre x {cx}");
}

#[test]
fn thin_strokes_are_anti_aliased_not_lost() {
    // A 1-pixel line over a 200-pixel-wide box shrinks to a tenth of a pixel's worth of ink.
    let mut ink = canvas(280, 40, 240, 100, 101);
    ink[200 * 280 + 140] = 255; // makes the box 200 × 101
    let img = to_mnist(&ink, 280, 280).unwrap();
    let grey = img.iter().filter(|&&v| v > 0.0 && v < 1.0).count();
    assert!(grey > 0, "expected grey (partially covered) pixels");
    assert!(img.iter().sum::<f32>() > 1.0);
}

#[test]
fn an_empty_or_mismatched_pad_is_an_error() {
    assert_eq!(to_mnist(&vec![0; 100], 10, 10), Err(DrawingError::Empty));
    // A dot (a 22-pixel tap on a 280-pixel pad) is not a digit.
    assert_eq!(to_mnist(&canvas(280, 130, 152, 130, 152), 280, 280), Err(DrawingError::TooSmall));
    assert!(matches!(to_mnist(&[0; 5], 10, 10), Err(DrawingError::Size { .. })));
}
