//! The library file: every kept run in one `.zip`, to back the library up or move it to another
//! browser ("Export library" / "Import library"). Any zip tool opens it:
//!
//! ```text
//! filterlab-library.json          {"format":"filterlab-library","version":1,"runs":2}
//! runs/0001-<id>/run.json         the run's record (what the Runs panel lists)
//! runs/0001-<id>/model.flab       its model file
//! runs/0001-<id>/epochs.csv       its epoch table, one row per epoch (for pandas or a lab report)
//! runs/0001-<id>/curve.csv        its per-batch loss curve
//! my-digits/my-digits-images-idx3-ubyte   the user's kept digits (`my_digits`), MNIST's format
//! my-digits/my-digits-labels-idx1-ubyte
//! ```
//!
//! Reading checks everything before anything is kept: the manifest, every record and model file,
//! each entry's size before it is read (so a zip bomb stops at the limit), one model per record.
//! The CSVs are written for people and ignored on reading (the record holds their figures).

use std::io::{Cursor, Read, Write};

use serde::{Deserialize, Serialize};
use zip::{CompressionMethod, ZipArchive, ZipWriter, write::SimpleFileOptions};

use crate::{MAX_MODEL_FILE_BYTES, ModelFile, MyDigit, RunRecord, my_digits};

const MANIFEST: &str = "filterlab-library.json";
const FORMAT: &str = "filterlab-library";
const VERSION: u32 = 1;
/// The most runs one file may bring, and the largest record (a long per-batch curve is a few MB).
const MAX_RUNS: usize = 10_000;
const MAX_RECORD_BYTES: u64 = 64 << 20;
/// The largest library file the page reads at all.
pub const MAX_LIBRARY_BYTES: usize = 1 << 30;

/// A kept run whole: its record and its model file.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptRun {
    pub record: RunRecord,
    pub file: Vec<u8>,
}

/// Everything a library file holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Library {
    pub runs: Vec<KeptRun>,
    pub digits: Vec<MyDigit>,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    runs: usize,
    /// The user's kept digits (files written before them have none).
    #[serde(default)]
    digits: usize,
}

const DIGITS_FOLDER: &str = "my-digits/";

/// The runs and the kept digits as one zip file.
pub fn write(Library { runs, digits }: &Library) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        runs: runs.len(),
        digits: digits.len(),
    };
    let mut add = |name: &str, bytes: &[u8]| {
        zip.start_file(name, options)
            .and_then(|()| Ok(zip.write_all(bytes)?))
            .expect("writing to memory does not fail");
    };
    add(
        MANIFEST,
        &serde_json::to_vec_pretty(&manifest).expect("the manifest serialises"),
    );
    for run in runs {
        let folder = format!("runs/{:04}-{}", run.record.number, run.record.id);
        add(
            &format!("{folder}/run.json"),
            run.record.to_json().as_bytes(),
        );
        add(&format!("{folder}/model.flab"), &run.file);
        add(
            &format!("{folder}/epochs.csv"),
            run.record.epochs_csv().as_bytes(),
        );
        add(
            &format!("{folder}/curve.csv"),
            run.record.curve_csv().as_bytes(),
        );
    }
    if !digits.is_empty() {
        for (name, bytes) in my_digits::to_idx(digits) {
            add(&format!("{DIGITS_FOLDER}{name}"), &bytes);
        }
    }
    zip.finish()
        .expect("writing to memory does not fail")
        .into_inner()
}

/// The runs in a library file, or why it cannot be used (then nothing in it is).
pub fn read(bytes: &[u8], now_ms: f64) -> Result<Library, String> {
    if bytes.len() > MAX_LIBRARY_BYTES {
        return Err(format!(
            "it is {} bytes, more than the {MAX_LIBRARY_BYTES} a library file can be",
            bytes.len()
        ));
    }
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("it is not a zip file Filterlab can read ({e})"))?;
    let manifest: Manifest = serde_json::from_slice(
        &entry(&mut zip, MANIFEST, 64 << 10)?
            .ok_or("it is not a Filterlab library (it has no filterlab-library.json)")?,
    )
    .map_err(|e| format!("its filterlab-library.json is damaged ({e})"))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "it is not a Filterlab library (its format is \"{}\")",
            manifest.format
        ));
    }
    if manifest.version > VERSION {
        return Err(format!(
            "it was written by a newer Filterlab (library version {}; this page reads up to {VERSION})",
            manifest.version
        ));
    }
    if manifest.runs > MAX_RUNS {
        return Err(format!(
            "it holds {} runs, more than the {MAX_RUNS} one file may bring",
            manifest.runs
        ));
    }
    let mut folders: Vec<String> = (0..zip.len())
        .filter_map(|i| {
            zip.name_for_index(i)?
                .ok()?
                .strip_prefix("runs/")?
                .strip_suffix("/run.json")
                .map(String::from)
        })
        .collect();
    folders.sort();
    folders.dedup();
    if folders.len() != manifest.runs {
        return Err(format!(
            "it is damaged (it should hold {} runs, it holds {})",
            manifest.runs,
            folders.len()
        ));
    }
    let mut runs: Vec<KeptRun> = Vec::with_capacity(folders.len());
    for folder in folders {
        let damaged = |why: String| format!("it is damaged (runs/{folder}: {why})");
        let json = entry(
            &mut zip,
            &format!("runs/{folder}/run.json"),
            MAX_RECORD_BYTES,
        )?
        .ok_or_else(|| damaged("no run.json".into()))?;
        let record = RunRecord::from_json(
            &String::from_utf8(json).map_err(|_| damaged("run.json is not text".into()))?,
        )
        .map_err(|e| damaged(format!("run.json: {e}")))?;
        let file = entry(
            &mut zip,
            &format!("runs/{folder}/model.flab"),
            MAX_MODEL_FILE_BYTES as u64,
        )?
        .ok_or_else(|| damaged("no model.flab".into()))?;
        ModelFile::from_bytes(&file).map_err(|e| damaged(format!("model.flab: {e}")))?;
        if runs.iter().any(|r| r.record.id == record.id) {
            return Err(damaged(format!("run {} appears twice", record.id)));
        }
        runs.push(KeptRun {
            record: crate::RunRecord {
                file_bytes: file.len(),
                ..record
            },
            file,
        });
    }
    let digits = match manifest.digits {
        0 => Vec::new(),
        n => {
            let [(images_name, _), (labels_name, _)] = my_digits::to_idx(&[]);
            let (images_name, labels_name) = (format!("{DIGITS_FOLDER}{images_name}"), format!("{DIGITS_FOLDER}{labels_name}"));
            let images = entry(&mut zip, &images_name, my_digits::MAX_IMAGES_BYTES)?.ok_or_else(|| format!("it is damaged (no {images_name})"))?;
            let labels = entry(&mut zip, &labels_name, my_digits::MAX_LABELS_BYTES)?.ok_or_else(|| format!("it is damaged (no {labels_name})"))?;
            let digits = my_digits::from_idx((&images_name, &images), (&labels_name, &labels), now_ms).map_err(|e| format!("its digits: {e}"))?;
            if digits.len() != n {
                return Err(format!("it is damaged (it should hold {n} digits, it holds {})", digits.len()));
            }
            digits
        }
    };
    Ok(Library { runs, digits })
}

/// An entry's bytes, if it is there; refused when it says, or turns out, to be over `limit`.
fn entry(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, String> {
    let mut file = match zip.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(format!("it is damaged ({name}: {e})")),
    };
    if file.size() > limit {
        return Err(format!(
            "it is damaged ({name} is {} bytes, more than {limit})",
            file.size()
        ));
    }
    let mut bytes = Vec::new();
    // The stated size may lie: never inflate past the limit.
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("it is damaged ({name}: {e})"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("it is damaged ({name} is more than {limit} bytes)"));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Digits, NetShape, Weights};

    fn run(number: u32) -> KeptRun {
        let shape = NetShape::NOTEBOOK;
        let weights = Weights::from_slice(
            shape,
            &(0..shape.params())
                .map(|i| i as f32 / 100.0)
                .collect::<Vec<_>>(),
        );
        let file = ModelFile {
            weights,
            digits: Digits::default(),
            record: String::new(),
        }
        .to_bytes();
        let record = RunRecord::from_model_file(
            &file,
            format!("0000000000{number}-{number}-abcdef"),
            number,
            1.0e12,
        )
        .unwrap();
        KeptRun { record, file }
    }

    #[test]
    fn a_library_reads_back_as_written() {
        let runs = vec![run(1), run(2), run(3)];
        let digits: Vec<MyDigit> = (0..3).map(|d| MyDigit::new(d, vec![d * 50; 784], 7.0 + d as f64 * 1e-3).unwrap()).collect();
        let library = Library { runs, digits };
        let bytes = write(&library);
        assert_eq!(read(&bytes, 7.0).unwrap(), library);
        // An older file (no digits) reads as one with none.
        let runs_only = Library { runs: library.runs.clone(), digits: vec![] };
        assert_eq!(read(&write(&runs_only), 0.0).unwrap(), runs_only);
    }

    #[test]
    fn any_zip_tool_sees_a_folder_per_run_with_its_csvs() {
        let bytes = write(&Library { runs: vec![run(7)], digits: vec![MyDigit::new(1, vec![0; 784], 0.0).unwrap()] });
        let zip = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        for name in [
            "filterlab-library.json",
            "runs/0007-00000000007-7-abcdef/run.json",
            "runs/0007-00000000007-7-abcdef/model.flab",
            "runs/0007-00000000007-7-abcdef/epochs.csv",
            "runs/0007-00000000007-7-abcdef/curve.csv",
            "my-digits/my-digits-images-idx3-ubyte",
            "my-digits/my-digits-labels-idx1-ubyte",
        ] {
            assert!(
                names.iter().any(|n| n == name),
                "{name} missing from {names:?}"
            );
        }
    }

    #[test]
    fn damaged_files_are_refused_whole() {
        let good = write(&Library { runs: vec![run(1), run(2)], digits: vec![] });
        let refused = |bytes: &[u8], says: &str| {
            let why = read(bytes, 0.0).unwrap_err();
            assert!(why.contains(says), "{why:?} does not say {says:?}");
        };
        refused(b"not a zip", "not a zip file");
        refused(&good[..good.len() / 2], "not a zip file");
        let mut flipped = good.clone();
        // A byte inside the first run's (deflated) model file: inflating or a CRC catches it.
        let at = flipped
            .windows(10)
            .position(|w| w == b"model.flab")
            .unwrap()
            + 40;
        flipped[at] ^= 0xff;
        refused(&flipped, "damaged");
        // A zip that is not a library.
        let mut other = ZipWriter::new(Cursor::new(Vec::new()));
        other
            .start_file("notes.txt", SimpleFileOptions::default())
            .unwrap();
        other.write_all(b"hello").unwrap();
        refused(
            &other.finish().unwrap().into_inner(),
            "not a Filterlab library",
        );
    }

    #[test]
    fn a_newer_library_or_a_missing_run_is_refused() {
        let library = |manifest: &str, runs: &[KeptRun]| {
            let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
            zip.start_file(MANIFEST, SimpleFileOptions::default())
                .unwrap();
            zip.write_all(manifest.as_bytes()).unwrap();
            for r in runs {
                zip.start_file(
                    format!("runs/{}/run.json", r.record.id),
                    SimpleFileOptions::default(),
                )
                .unwrap();
                zip.write_all(r.record.to_json().as_bytes()).unwrap();
                zip.start_file(
                    format!("runs/{}/model.flab", r.record.id),
                    SimpleFileOptions::default(),
                )
                .unwrap();
                zip.write_all(&r.file).unwrap();
            }
            zip.finish().unwrap().into_inner()
        };
        let newer = read(&library(
            r#"{"format":"filterlab-library","version":2,"runs":1}"#,
            &[run(1)],
        ), 0.0)
        .unwrap_err();
        assert!(newer.contains("newer Filterlab"), "{newer}");
        let short = read(&library(
            r#"{"format":"filterlab-library","version":1,"runs":2}"#,
            &[run(1)],
        ), 0.0)
        .unwrap_err();
        assert!(short.contains("should hold 2 runs"), "{short}");
        assert_eq!(
            read(&library(
                r#"{"format":"filterlab-library","version":1,"runs":1}"#,
                &[run(1)]
            ), 0.0)
            .unwrap()
            .runs
            .len(),
            1
        );
    }

    #[test]
    fn a_zip_bomb_stops_at_the_limit() {
        // A model.flab that inflates to far more than a model file can be.
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        zip.start_file(MANIFEST, deflated).unwrap();
        zip.write_all(br#"{"format":"filterlab-library","version":1,"runs":1}"#)
            .unwrap();
        let r = run(1);
        zip.start_file("runs/x/run.json", deflated).unwrap();
        zip.write_all(r.record.to_json().as_bytes()).unwrap();
        zip.start_file("runs/x/model.flab", deflated).unwrap();
        zip.write_all(&vec![0u8; 64 << 20]).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert!(bytes.len() < 1 << 20, "the bomb is small: {}", bytes.len());
        let why = read(&bytes, 0.0).unwrap_err();
        assert!(why.contains("more than"), "{why}");
    }
}
