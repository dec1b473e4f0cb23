//! The test server: `dist/` served on 127.0.0.1 as a static host would, with one injected fault
//! at a time (a missing, corrupt, cut or stalled file; a cut-down MNIST; no network at all).

use std::{
    io::Write,
    net::TcpListener,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

pub(crate) fn repo() -> PathBuf {
    // Read at run time: a build shared between clones (one target dir) must not bake in a path.
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run through cargo test")).join("../..")
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A fault the test server injects into one file of the app.
#[derive(Clone, Copy)]
pub enum Fault {
    None,
    /// Answer 404 for files whose path contains this.
    Missing(&'static str),
    /// Serve garbage instead of files whose path contains this.
    Corrupt(&'static str),
    /// Answer 404 the first time a file whose path contains this is asked for, then serve it.
    MissingFirst(&'static str),
    /// Serve the first half of files whose path contains this.
    Truncated(&'static str),
    /// Serve a well-formed gzip of something that is not an idx file (a zip header).
    WrongMagic(&'static str),
    /// Announce the whole file, send half of it, then close the connection (a raw server on
    /// another port does it; the app's server redirects there).
    CutMidDownload(&'static str),
    /// Announce the whole file, send half of it, then send nothing more and keep the
    /// connection open.
    Stall(&'static str),
    /// Run this script in the worker before its WebAssembly starts (prepended to
    /// worker_loader.js): the way to provoke faults inside the worker.
    WorkerPrelude(&'static str),
    /// Send index.html's Content-Security-Policy as a header with every file, as a static host
    /// configured for it would (a worker follows only its own response's header).
    Csp,
    /// Serve MNIST cut down (headers rewritten): of the training file the first `first` images
    /// and further 8s and 1s up to `pair` of each, of the test file the first `test` images. A
    /// real but short epoch, where a test trains many networks.
    Fewer { first: usize, pair: usize, test: usize },
}

/// The Content-Security-Policy in index.html's `<meta http-equiv>`.
pub fn page_policy(index_html: &str) -> String {
    let at = index_html.find("http-equiv=\"Content-Security-Policy\"").expect("index.html has a CSP meta tag");
    let rest = &index_html[at..];
    let start = rest.find("content=\"").unwrap() + "content=\"".len();
    rest[start..start + rest[start..].find('"').unwrap()].to_string()
}

/// Serves the first half of `bytes` once, announcing all of them, then closes the connection: a
/// download cut by the network. Returns its address.
fn cut_connection_server(bytes: Vec<u8>) -> String {
    use std::io::Read;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}/cut", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&bytes[..bytes.len() / 2]);
            let _ = stream.flush();
            // Dropping the stream closes it: the body ends half way.
        }
    });
    address
}

/// A reader that gives its bytes and then fails: tiny_http then stops writing the body but keeps
/// the connection open, so the browser waits for the rest (a stalled download).
struct CutShort(std::io::Cursor<Vec<u8>>);
impl std::io::Read for CutShort {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "cut by the test")),
            n => Ok(n),
        }
    }
}

/// An idx file's bytes, gunzipped.
fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut raw).unwrap();
    raw
}

/// Which training images [`Fault::Fewer`] keeps: the first `first`, and further 8s and 1s until
/// there are `pair` of each (the worker always makes the 8-vs-1 split, whose test set takes the
/// first 1,000 of each).
fn fewer_kept(labels_gz: &[u8], first: usize, pair: usize) -> Vec<usize> {
    let labels = gunzip(labels_gz)[8..].to_vec();
    let mut seen = [0usize; 10];
    let mut kept = Vec::new();
    for (i, &l) in labels.iter().enumerate() {
        let wanted = i < first || ((l == 1 || l == 8) && seen[l as usize] < pair);
        seen[l as usize] += 1;
        if wanted {
            kept.push(i);
        }
    }
    kept
}

/// The gzipped idx file `gz` with only the items (images or labels) at `kept`.
fn fewer(gz: &[u8], kept: &[usize]) -> Vec<u8> {
    let raw = gunzip(gz);
    let rank = raw[3] as usize;
    let dim = |i: usize| u32::from_be_bytes(raw[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize;
    let item: usize = (1..rank).map(dim).product();
    let header = 4 + 4 * rank;
    let mut out = raw[..header].to_vec();
    out[4..8].copy_from_slice(&(kept.len() as u32).to_be_bytes());
    for &i in kept {
        out.extend_from_slice(&raw[header + i * item..header + (i + 1) * item]);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&out).unwrap();
    gz.finish().unwrap()
}

/// Good gzip around bytes that are no idx file: a zip archive's header.
fn not_idx() -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"PK\x03\x04 a zip archive, not an idx file").unwrap();
    gz.finish().unwrap()
}

/// Paths the test server has answered with a file, in order (the benchmark sums their sizes).
pub(crate) type Served = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Serves `dir` on 127.0.0.1 in a background thread, with the MIME types browsers insist on.
/// Serves `dir` at `folder` ("/" or "/some/sub/path/"). While `down` is set, every request gets
/// an answer that is not HTTP: to the browser the network is gone (a fetch fails).
pub(crate) fn serve(dir: PathBuf, fault: Fault, served: Served, folder: &'static str, down: Arc<AtomicBool>) -> u16 {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    std::thread::spawn(move || {
        let mut failed_once = false;
        let policy = page_policy(&std::fs::read_to_string(dir.join("index.html")).unwrap_or_default());
        for request in server.incoming_requests() {
            if down.load(Ordering::SeqCst) {
                let mut raw = request.into_writer();
                let _ = raw.write_all(b"no network\r\n\r\n");
                let _ = raw.flush();
                continue;
            }
            let Some(path) = request.url().split('?').next().unwrap_or("/").strip_prefix(folder).map(str::to_string) else {
                let _ = request.respond(tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404));
                continue;
            };
            let path = if path.is_empty() { "index.html".to_string() } else { path };
            let file = dir.join(&path);
            let read = match fault {
                Fault::Missing(name) if path.contains(name) => Err(()),
                Fault::MissingFirst(name) if path.contains(name) && !failed_once => {
                    failed_once = true;
                    Err(())
                }
                Fault::Corrupt(name) if path.contains(name) => Ok(b"\x1f\x8b this is not gzip".to_vec()),
                Fault::WrongMagic(name) if path.contains(name) => Ok(not_idx()),
                Fault::Truncated(name) | Fault::Stall(name) if path.contains(name) => {
                    std::fs::read(&file).map(|b| b[..b.len() / 2].to_vec()).map_err(|_| ())
                }
                Fault::Fewer { first, pair, test } if path.starts_with("mnist/") => {
                    let kept: Vec<usize> = match path.contains("t10k") {
                        true => (0..test).collect(),
                        false => fewer_kept(&std::fs::read(dir.join("mnist/train-labels-idx1-ubyte.gz")).unwrap(), first, pair),
                    };
                    std::fs::read(&file).map(|b| fewer(&b, &kept)).map_err(|_| ())
                }
                Fault::WorkerPrelude(script) if path == "worker_loader.js" => {
                    std::fs::read(&file).map(|b| [script.as_bytes(), b"\n", &b].concat()).map_err(|_| ())
                }
                _ => std::fs::read(&file).map_err(|_| ()),
            };
            match fault {
                Fault::Stall(name) if path.contains(name) => {
                    let full = std::fs::metadata(&file).map(|m| m.len() as usize).unwrap_or_default();
                    let body = CutShort(std::io::Cursor::new(read.clone().unwrap_or_default()));
                    // Content-Length, not chunks: the browser waits for the bytes announced.
                    let response = tiny_http::Response::new(200.into(), vec![], body, Some(full), None).with_chunked_threshold(usize::MAX);
                    let _ = request.respond(response);
                    continue;
                }
                Fault::CutMidDownload(name) if path.contains(name) => {
                    let cut = cut_connection_server(std::fs::read(&file).unwrap_or_default());
                    let location = tiny_http::Header::from_bytes("Location", cut.as_bytes()).unwrap();
                    let _ = request.respond(tiny_http::Response::empty(307).with_header(location));
                    continue;
                }
                _ => {}
            }
            let response = match (path.contains(".."), read) {
                (false, Ok(bytes)) => {
                    served.lock().unwrap().push(path.clone());
                    let mime = match file.extension().and_then(|e| e.to_str()) {
                        Some("html") => "text/html; charset=utf-8",
                        Some("js") => "text/javascript",
                        Some("wasm") => "application/wasm",
                        Some("css") => "text/css",
                        _ => "application/octet-stream",
                    };
                    // Cacheable, as a static host would serve it: the benchmark opens the page twice.
                    let response = tiny_http::Response::from_data(bytes)
                        .with_header(tiny_http::Header::from_bytes("Content-Type", mime).unwrap())
                        .with_header(tiny_http::Header::from_bytes("Cache-Control", "max-age=3600").unwrap());
                    match fault {
                        Fault::Csp => response.with_header(tiny_http::Header::from_bytes("Content-Security-Policy", policy.as_bytes()).unwrap()),
                        _ => response,
                    }
                }
                _ => tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404),
            };
            let _ = request.respond(response);
        }
    });
    port
}
