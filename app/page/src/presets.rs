//! Hand-made filters for the filter editor, for a 3×3 or a 5×5 kernel (row-major, bias 0). The
//! conv is a cross-correlation, as in PyTorch: a filter's weight at (r, c) multiplies the pixel
//! at (r, c) of each window.

/// A filter a student can set with one click.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Identity,
    /// Sobel in x: bright where the image gets brighter to the right.
    VerticalEdge,
    /// Sobel in y: bright where the image gets brighter downwards.
    HorizontalEdge,
    Diagonal,
    Blur,
    Laplacian,
    Zero,
    /// PyTorch's initialisation: uniform in ±1/k.
    Random,
}

impl Preset {
    pub const ALL: [Preset; 8] = [
        Self::Identity,
        Self::VerticalEdge,
        Self::HorizontalEdge,
        Self::Diagonal,
        Self::Blur,
        Self::Laplacian,
        Self::Zero,
        Self::Random,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Self::Identity => "Identity",
            Self::VerticalEdge => "Vertical edge",
            Self::HorizontalEdge => "Horizontal edge (Sobel)",
            Self::Diagonal => "Diagonal",
            Self::Blur => "Blur",
            Self::Laplacian => "Laplacian",
            Self::Zero => "Zero",
            Self::Random => "Random",
        }
    }

    /// For test ids: "horizontal-edge".
    pub fn id(&self) -> String {
        self.name().split(" (").next().unwrap_or_default().to_lowercase().replace(' ', "-")
    }

    /// The k×k weights (`k` is 3 or 5); `seed` varies [`Preset::Random`].
    pub fn weights(&self, k: usize, seed: u32) -> Vec<f32> {
        let c = k / 2;
        // Sobel's smoothing and derivative, and their 5-tap versions.
        let (smooth, slope): (&[f32], &[f32]) = if k == 5 { (&[1.0, 4.0, 6.0, 4.0, 1.0], &[-1.0, -2.0, 0.0, 2.0, 1.0]) } else { (&[1.0, 2.0, 1.0], &[-1.0, 0.0, 1.0]) };
        let at = |f: &dyn Fn(usize, usize) -> f32| (0..k * k).map(|i| f(i / k, i % k)).collect();
        match self {
            Self::Identity => at(&|r, col| f32::from(u8::from(r == c && col == c))),
            Self::VerticalEdge => at(&|r, col| smooth[r] * slope[col]),
            Self::HorizontalEdge => at(&|r, col| slope[r] * smooth[col]),
            Self::Diagonal => at(&|r, col| col as f32 - r as f32),
            Self::Blur => vec![1.0 / (k * k) as f32; k * k],
            Self::Laplacian => at(&|r, col| match (r.abs_diff(c), col.abs_diff(c)) {
                (0, 0) => -4.0,
                (1, 0) | (0, 1) => 1.0,
                _ => 0.0,
            }),
            Self::Zero => vec![0.0; k * k],
            Self::Random => {
                let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
                let bound = 1.0 / k as f32;
                (0..k * k)
                    .map(|_| {
                        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * bound
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_by_three_presets_are_the_textbook_ones() {
        assert_eq!(Preset::HorizontalEdge.weights(3, 0), [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0]);
        assert_eq!(Preset::VerticalEdge.weights(3, 0), [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0]);
        assert_eq!(Preset::Laplacian.weights(3, 0), [0.0, 1.0, 0.0, 1.0, -4.0, 1.0, 0.0, 1.0, 0.0]);
        assert_eq!(Preset::Identity.weights(3, 0), [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(Preset::Diagonal.weights(3, 0), [0.0, 1.0, 2.0, -1.0, 0.0, 1.0, -2.0, -1.0, 0.0]);
        assert_eq!(Preset::HorizontalEdge.id(), "horizontal-edge");
    }

    #[test]
    fn every_preset_fits_both_kernels() {
        for p in Preset::ALL {
            for k in [3, 5] {
                let w = p.weights(k, 7);
                assert_eq!(w.len(), k * k, "{p:?} {k}");
                assert!(w.iter().all(|v| v.is_finite()));
            }
        }
        // Edges sum to zero (a flat image gives no response); the blur sums to one.
        for k in [3, 5] {
            for p in [Preset::VerticalEdge, Preset::HorizontalEdge, Preset::Diagonal, Preset::Laplacian] {
                assert_eq!(p.weights(k, 0).iter().sum::<f32>(), 0.0, "{p:?} {k}");
            }
            assert!((Preset::Blur.weights(k, 0).iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        // Random: in ±1/k, and another seed gives another filter.
        let r = Preset::Random.weights(5, 1);
        assert!(r.iter().all(|v| v.abs() <= 0.2) && r != Preset::Random.weights(5, 2));
    }
}
