//! "My digits": drawings the user kept with the digit they are, as the network saw them (28×28
//! bytes, MNIST's own form), their file, and the current model's score on them.
//!
//! The file is a zip of two idx files, MNIST's own format (numpy, `idx2numpy` or torchvision's
//! reader open them; any zip tool unpacks them):
//!
//! ```text
//! my-digits-images-idx3-ubyte   n × 28 × 28 bytes, 0 = paper, 255 = ink
//! my-digits-labels-idx1-ubyte   n digits 0–9
//! ```
//!
//! Reading accepts any zip holding one `…idx3-ubyte` and one `…idx1-ubyte` file (raw or gzip),
//! so a class can pool its sets with a script. Everything is checked before anything is kept.

use std::io::{Cursor, Read, Write};

use serde::{Deserialize, Serialize};
use zip::{CompressionMethod, ZipArchive, ZipWriter, write::SimpleFileOptions};

use crate::{
    insight::Confusion,
    idx::{self, PIXELS},
    settings::Digits,
};

/// The most digits one set may hold (a class's worth many times over; a few MB).
pub const MAX_MY_DIGITS: usize = 10_000;
/// The largest file of digits the page reads.
pub const MAX_MY_DIGITS_BYTES: usize = 64 << 20;
/// What "train on my digits too" adds for each of the user's digits of the task: the drawing as
/// it is and shifted one pixel up, down, left and right.
pub const COPIES: usize = 5;
/// The file's entries, as written.
pub const IMAGES_ENTRY: &str = "my-digits-images-idx3-ubyte";
pub const LABELS_ENTRY: &str = "my-digits-labels-idx1-ubyte";

/// One kept drawing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyDigit {
    /// Made from the digit and the pixels: the same drawing with the same label is one digit, so
    /// a file imported twice adds nothing.
    pub id: String,
    /// Which digit it is, 0–9, as the user said.
    pub digit: u8,
    /// 28×28, row-major, 0 = paper, 255 = ink.
    pub pixels: Vec<u8>,
    /// When it was kept (ms since 1970): the set's order.
    pub kept_ms: f64,
}

impl MyDigit {
    /// A digit from a drawing as the network saw it (`image`: 784 values in [0, 1]).
    pub fn from_image(digit: u8, image: &[f32], kept_ms: f64) -> Result<Self, String> {
        if image.len() != PIXELS {
            return Err(format!("the drawing has {} pixels, not {PIXELS}", image.len()));
        }
        let pixels = image.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
        Self::new(digit, pixels, kept_ms)
    }

    /// A digit from its 28×28 bytes, checked.
    pub fn new(digit: u8, pixels: Vec<u8>, kept_ms: f64) -> Result<Self, String> {
        if digit > 9 {
            return Err(format!("{digit} is not a digit 0–9"));
        }
        if pixels.len() != PIXELS {
            return Err(format!("a digit has {PIXELS} pixels, not {}", pixels.len()));
        }
        Ok(Self { id: id_of(digit, &pixels), digit, pixels, kept_ms })
    }

    /// The same drawing as another digit (a new id).
    pub fn relabelled(&self, digit: u8) -> Result<Self, String> {
        Self::new(digit, self.pixels.clone(), self.kept_ms)
    }

    /// Its pixels as the network reads them, in [0, 1].
    pub fn image(&self) -> Vec<f32> {
        self.pixels.iter().map(|&p| p as f32 / 255.0).collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("digits always serialise")
    }

    /// A stored digit, checked (its id must be its content's).
    pub fn from_json(json: &str) -> Result<Self, String> {
        let stored: Self = serde_json::from_str(json).map_err(|e| format!("it is damaged ({e})"))?;
        let checked = Self::new(stored.digit, stored.pixels, stored.kept_ms).map_err(|e| format!("it is damaged ({e})"))?;
        if checked.id != stored.id {
            return Err("it is damaged (its id does not match its pixels)".into());
        }
        Ok(checked)
    }
}

/// FNV-1a of the digit and its pixels: stable across browsers and versions.
fn id_of(digit: u8, pixels: &[u8]) -> String {
    let hash = std::iter::once(digit).chain(pixels.iter().copied()).fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    format!("{digit}-{hash:016x}")
}

/// How many of `set` the task uses (their digit is one of its classes), and how many it leaves.
pub fn used_by(set: &[MyDigit], digits: Digits) -> (usize, usize) {
    let used = set.iter().filter(|d| digits.class_of(d.digit).is_some()).count();
    (used, set.len() - used)
}

/// The current model on the user's digits of its task: the same matrix as the test set's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyScore {
    pub digits: Digits,
    /// Rows the actual class, columns what the model read; it sums to the digits used.
    pub matrix: Confusion,
    /// Kept digits of other digits than the task's: not used.
    pub unused: usize,
}

impl MyScore {
    pub fn used(&self) -> usize {
        self.matrix.iter().flatten().map(|&n| n as usize).sum()
    }

    pub fn right(&self) -> usize {
        self.matrix.iter().enumerate().map(|(i, row)| row[i] as usize).sum()
    }

    /// The share read right, when any digit is used.
    pub fn accuracy(&self) -> Option<f32> {
        let used = self.used();
        (used > 0).then(|| self.right() as f32 / used as f32)
    }
}

/// The set as its two idx files, images then labels, in the set's order.
pub fn to_idx(set: &[MyDigit]) -> [(&'static str, Vec<u8>); 2] {
    let images: Vec<u8> = set.iter().flat_map(|d| d.pixels.iter().copied()).collect();
    let labels: Vec<u8> = set.iter().map(|d| d.digit).collect();
    [(IMAGES_ENTRY, idx::write_images(&images)), (LABELS_ENTRY, idx::write_labels(&labels))]
}

/// The set as a zip of its two idx files.
pub fn write(set: &[MyDigit]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in to_idx(set) {
        zip.start_file(name, options).and_then(|()| Ok(zip.write_all(&bytes)?)).expect("writing to memory does not fail");
    }
    zip.finish().expect("writing to memory does not fail").into_inner()
}

/// The largest idx files a set's can be.
pub const MAX_IMAGES_BYTES: u64 = 16 + (MAX_MY_DIGITS * PIXELS) as u64;
pub const MAX_LABELS_BYTES: u64 = 8 + MAX_MY_DIGITS as u64;

/// The digits in a pair of idx files (named for the messages), kept at `now_ms` on in order.
pub fn from_idx((images_name, images): (&str, &[u8]), (labels_name, labels): (&str, &[u8]), now_ms: f64) -> Result<Vec<MyDigit>, String> {
    let images = idx::parse_images(images_name, images).map_err(|e| e.to_string())?;
    let labels = idx::parse_labels(labels_name, labels).map_err(|e| e.to_string())?;
    if images.len() / PIXELS != labels.len() {
        return Err(format!("it is damaged ({} images but {} labels)", images.len() / PIXELS, labels.len()));
    }
    if labels.len() > MAX_MY_DIGITS {
        return Err(format!("it holds {} digits, more than the {MAX_MY_DIGITS} a set can", labels.len()));
    }
    labels
        .iter()
        .zip(images.chunks_exact(PIXELS))
        .enumerate()
        .map(|(i, (&digit, pixels))| MyDigit::new(digit, pixels.to_vec(), now_ms + i as f64 * 1e-3))
        .collect()
}

/// The digits in a file (kept at `now_ms` on, in the file's order), or why it cannot be used.
pub fn read(bytes: &[u8], now_ms: f64) -> Result<Vec<MyDigit>, String> {
    if bytes.len() > MAX_MY_DIGITS_BYTES {
        return Err(format!("it is {} bytes, more than the {MAX_MY_DIGITS_BYTES} a file of digits can be", bytes.len()));
    }
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("it is not a zip file Filterlab can read ({e})"))?;
    // macOS's Finder adds `__MACOSX/._name` copies of each file's metadata: not data.
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| !n.starts_with("__MACOSX/") && !n.rsplit('/').next().unwrap_or_default().starts_with("._"))
        .collect();
    let one = |suffix: &str| -> Result<String, String> {
        let found: Vec<&String> = names.iter().filter(|n| n.ends_with(suffix) || n.ends_with(&format!("{suffix}.gz"))).collect();
        match found[..] {
            [name] => Ok(name.clone()),
            [] => Err(format!("it holds no …{suffix} file (a zip of MNIST-format idx files is expected)")),
            _ => Err(format!("it holds {} …{suffix} files, one is expected", found.len())),
        }
    };
    let (images_name, labels_name) = (one("idx3-ubyte")?, one("idx1-ubyte")?);
    let images = entry(&mut zip, &images_name, MAX_IMAGES_BYTES)?;
    let labels = entry(&mut zip, &labels_name, MAX_LABELS_BYTES)?;
    from_idx((&images_name, &images), (&labels_name, &labels), now_ms)
}

/// An entry's bytes, gunzipped when it is gzip, never more than `limit` (a bomb stops there).
fn entry(zip: &mut ZipArchive<Cursor<&[u8]>>, name: &str, limit: u64) -> Result<Vec<u8>, String> {
    let too_big = || format!("it is damaged ({name} is more than {limit} bytes: over {MAX_MY_DIGITS} digits)");
    let mut file = zip.by_name(name).map_err(|e| format!("it is damaged ({name}: {e})"))?;
    if file.size() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    (&mut file).take(limit + 1).read_to_end(&mut bytes).map_err(|e| format!("it is damaged ({name}: {e})"))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..]).take(limit + 1).read_to_end(&mut raw).map_err(|e| format!("it is damaged ({name}: {e})"))?;
        bytes = raw;
    }
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digit(d: u8, ink: u8) -> MyDigit {
        let mut pixels = vec![0u8; PIXELS];
        pixels[100 + d as usize] = ink;
        MyDigit::new(d, pixels, d as f64).unwrap()
    }

    #[test]
    fn a_set_reads_back_as_written_in_mnists_own_format() {
        let set: Vec<MyDigit> = (0..10).map(|d| digit(d, 200)).collect();
        let bytes = write(&set);
        let back = read(&bytes, 0.0).unwrap();
        assert_eq!(back.iter().map(|d| (&d.id, d.digit, &d.pixels)).collect::<Vec<_>>(), set.iter().map(|d| (&d.id, d.digit, &d.pixels)).collect::<Vec<_>>());
        // The entries are MNIST's headers, byte for byte.
        let mut zip = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let mut labels = Vec::new();
        zip.by_name(LABELS_ENTRY).unwrap().read_to_end(&mut labels).unwrap();
        assert_eq!(&labels[..8], &[0, 0, 8, 1, 0, 0, 0, 10]);
        let mut images = Vec::new();
        zip.by_name(IMAGES_ENTRY).unwrap().read_to_end(&mut images).unwrap();
        assert_eq!(&images[..16], &[0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28]);
    }

    #[test]
    fn ids_follow_the_content_and_stored_digits_are_checked() {
        let a = digit(3, 9);
        assert_eq!(a.id, MyDigit::new(3, a.pixels.clone(), 99.0).unwrap().id);
        assert_ne!(a.id, a.relabelled(5).unwrap().id);
        assert_eq!(MyDigit::from_json(&a.to_json()).unwrap(), a);
        let forged = MyDigit { digit: 4, ..a.clone() }.to_json();
        assert!(MyDigit::from_json(&forged).unwrap_err().contains("id does not match"));
        assert!(MyDigit::new(10, vec![0; PIXELS], 0.0).is_err());
        assert!(MyDigit::from_image(1, &[0.5; 10], 0.0).is_err());
    }

    #[test]
    fn bad_files_are_refused() {
        let refused = |bytes: &[u8], says: &str| {
            let why = read(bytes, 0.0).unwrap_err();
            assert!(why.contains(says), "{why:?} does not say {says:?}");
        };
        refused(b"PK nonsense", "not a zip file");
        let zip_of = |entries: &[(&str, Vec<u8>)]| {
            let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
            for (name, bytes) in entries {
                zip.start_file(*name, SimpleFileOptions::default()).unwrap();
                zip.write_all(bytes).unwrap();
            }
            zip.finish().unwrap().into_inner()
        };
        refused(&zip_of(&[("notes.txt", b"hi".to_vec())]), "no …idx3-ubyte");
        let images = idx::write_images(&[0; 2 * PIXELS]);
        refused(&zip_of(&[("a-images-idx3-ubyte", images.clone()), ("a-labels-idx1-ubyte", idx::write_labels(&[1]))]), "2 images but 1 labels");
        refused(&zip_of(&[("a-images-idx3-ubyte", images.clone()), ("a-labels-idx1-ubyte", idx::write_labels(&[1, 12]))]), "not a digit");
        refused(&zip_of(&[("a-images-idx3-ubyte", images[..100].to_vec()), ("a-labels-idx1-ubyte", idx::write_labels(&[1, 2]))]), "truncated");
        // A bomb: a gzip entry that inflates far past what a set can be.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&idx::write_labels(&vec![1; 64 << 20])).unwrap();
        refused(&zip_of(&[("a-images-idx3-ubyte", images), ("a-labels-idx1-ubyte.gz", gz.finish().unwrap())]), "more than");
        // Any names, gzip inside: a set pooled with a script reads.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&idx::write_labels(&[7])).unwrap();
        let pooled = zip_of(&[("class/t-images-idx3-ubyte", idx::write_images(&[1; PIXELS])), ("class/t-labels-idx1-ubyte.gz", gz.finish().unwrap())]);
        assert_eq!(read(&pooled, 0.0).unwrap()[0].digit, 7);
        // Zipped by macOS's Finder: its metadata entries are not the data.
        let finder = zip_of(&[
            ("set/a-images-idx3-ubyte", idx::write_images(&[1; PIXELS])),
            ("set/a-labels-idx1-ubyte", idx::write_labels(&[4])),
            ("__MACOSX/set/._a-images-idx3-ubyte", b"Mac OS X attributes".to_vec()),
            ("__MACOSX/set/._a-labels-idx1-ubyte", b"Mac OS X attributes".to_vec()),
        ]);
        assert_eq!(read(&finder, 0.0).unwrap()[0].digit, 4);
    }

    #[test]
    fn a_score_counts_the_digits_used() {
        let score = MyScore { digits: Digits::default(), matrix: vec![vec![3, 1], vec![0, 2]], unused: 4 };
        assert_eq!((score.used(), score.right(), score.accuracy()), (6, 5, Some(5.0 / 6.0)));
        let set = [digit(8, 1), digit(1, 1), digit(3, 1)];
        assert_eq!(used_by(&set, Digits::default()), (2, 1));
        assert_eq!(used_by(&set, Digits::All), (3, 0));
    }
}
