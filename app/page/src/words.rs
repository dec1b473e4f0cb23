//! How the page puts numbers and results into words.

use filterlab_protocol::Prediction;

/// A weight as the editor shows it: three decimals at most, no trailing zeros ("-1", "0.18").
pub fn short(v: f32) -> String {
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

/// "1 epoch", "3 epochs".
pub fn epochs(n: usize) -> String {
    if n == 1 { "1 epoch".into() } else { format!("{n} epochs") }
}

/// What the model reads in the drawing: "It is an 8 — P(8) = 91.0 %, P(1) = 9.0 %" for a pair
/// (every class's share), the likeliest digit's share alone for ten.
pub fn reading(p: &Prediction) -> String {
    let digit = p.digit();
    // Of the digits, only "eight" starts with a vowel sound.
    let article = if digit == 8 { "an" } else { "a" };
    let share = |c: usize| format!("P({}) = {:.1} %", p.digits.digit(c), 100.0 * p.probabilities[c]);
    let shares = match p.probabilities.len() {
        2 => (0..2).map(share).collect::<Vec<_>>().join(", "),
        _ => share(p.class()),
    };
    format!("It is {article} {digit} — {shares}")
}

/// "1.5 kB", "11.2 MB", "1.2 GB"
pub fn bytes(n: f64) -> String {
    match n {
        n if n >= 1e9 => format!("{:.1} GB", n / 1e9),
        n if n >= 1e6 => format!("{:.1} MB", n / 1e6),
        n => format!("{:.1} kB", n / 1e3),
    }
}

/// The Runs panel's storage line: the runs' model files, and (once measured) what the site stores
/// against what the browser allows it.
pub fn storage(runs: usize, file_bytes: usize, measured: Option<(f64, f64)>) -> String {
    let kept = match runs {
        0 => "No run is kept in this browser.".to_string(),
        1 => format!("1 run kept, {} of model files.", bytes(file_bytes as f64)),
        n => format!("{n} runs kept, {} of model files.", bytes(file_bytes as f64)),
    };
    match measured {
        Some((usage, quota)) => format!("{kept} This site stores {} in this browser (with the offline copy of the app and MNIST), of the {} it may use.", bytes(usage), bytes(quota)),
        None => kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use filterlab_protocol::{Digits, Explanation, NetShape};

    fn prediction(digits: Digits, probabilities: Vec<f32>) -> Prediction {
        let explanation = Explanation { shape: NetShape::NOTEBOOK, conv: vec![], pooled: vec![], contributions: vec![], logits: vec![] };
        Prediction { digits, probabilities, image: vec![], explanation }
    }

    #[test]
    fn readings_say_a_or_an() {
        assert_eq!(reading(&prediction(Digits::default(), vec![0.91, 0.09])), "It is an 8 — P(8) = 91.0 %, P(1) = 9.0 %");
        assert_eq!(reading(&prediction(Digits::default(), vec![0.25, 0.75])), "It is a 1 — P(8) = 25.0 %, P(1) = 75.0 %");
        let mut ten = vec![0.01; 10];
        ten[7] = 0.91;
        assert_eq!(reading(&prediction(Digits::All, ten)), "It is a 7 — P(7) = 91.0 %");
        assert_eq!([short(-0.0001), short(0.12345), short(10.0)], ["0", "0.123", "10"]);
        assert_eq!((epochs(1), epochs(3)), ("1 epoch".to_string(), "3 epochs".to_string()));
        assert_eq!(storage(1, 1700, None), "1 run kept, 1.7 kB of model files.");
        assert_eq!(storage(0, 0, None), "No run is kept in this browser.");
        assert_eq!(
            storage(2, 3400, Some((11.2e6, 1.2e9))),
            "2 runs kept, 3.4 kB of model files. This site stores 11.2 MB in this browser (with the offline copy of the app and MNIST), of the 1.2 GB it may use."
        );
    }
}

/// "a 3", "an 8".
pub fn a(digit: u8) -> String {
    if digit == 8 { "an 8".into() } else { format!("a {digit}") }
}

/// How many images a run trains on, said after "Training with …": " on 10603 images (10593 of
/// MNIST's and 2 of your digits, 5 times each: as drawn and shifted a pixel up, down, left and
/// right)…". Nothing is said of images when the worker did not say (an older worker).
pub fn training_images(train: usize, my_digits: usize) -> String {
    let copies = filterlab_protocol::my_digits::COPIES;
    match (train, my_digits) {
        (0, _) => "…".into(),
        (n, 0) => format!(" on {n} images…"),
        (n, mine) => format!(
            " on {n} images ({} of MNIST's and {mine} of your digits, {copies} times each: as drawn and shifted a pixel up, down, left and right)…",
            n - copies * mine
        ),
    }
}
