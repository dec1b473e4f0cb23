// Shared by e2e.rs and bench.rs, each of which uses only part of it.
#![allow(dead_code)]

//! The test bench: a static server for `dist/`, chromedriver, and a Chromium session, plus the
//! few page operations the tests need (find by `data-testid`, wait, draw, screenshot).

pub mod runs;

use std::{
    io::Write,
    net::TcpListener,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{
    Client, ClientBuilder, Locator,
    elements::Element,
    error::CmdError,
    actions::{ActionSequence, InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PenActions, PointerAction, TouchActions},
    wd::WebDriverCompatibleCommand,
};
use filterlab_protocol::{DigitPair, ModelFile, NetShape, Weights};
use serde_json::{Value, json};

/// What draws on the pad.
#[derive(Clone, Copy, Debug)]
pub enum Pointer {
    Mouse,
    Pen,
    Touch,
}

pub enum Gpu {
    /// Real WebGPU, run on the CPU by SwiftShader.
    SwiftShader,
    /// No WebGPU at all: the CPU fallback.
    None,
}

fn repo() -> PathBuf {
    // Read at run time: a build shared between clones (one target dir) must not bake in a path.
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run through cargo test")).join("../..")
}

fn free_port() -> u16 {
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
type Served = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Serves `dir` on 127.0.0.1 in a background thread, with the MIME types browsers insist on.
/// Serves `dir` at `folder` ("/" or "/some/sub/path/"). While `down` is set, every request gets
/// an answer that is not HTTP: to the browser the network is gone (a fetch fails).
fn serve(dir: PathBuf, fault: Fault, served: Served, folder: &'static str, down: Arc<AtomicBool>) -> u16 {
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

pub struct Browser {
    client: Option<Client>,
    /// The app's address, ending in "/".
    pub site: String,
    served: Served,
    /// Set: the test server answers nothing the browser can use (see `serve`).
    down: Arc<AtomicBool>,
    driver: Child,
    _profile: TempDir,
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Chromedriver's legacy log endpoint: the browser console, to check for errors.
#[derive(Debug)]
struct BrowserLog;
impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"type": "browser"}).to_string()))
    }
}

/// A Chrome DevTools Protocol command through chromedriver (screen size, colour scheme, network).
#[derive(Debug)]
struct Cdp(&'static str, Value);
impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"cmd": self.0, "params": self.1}).to_string()))
    }
}

/// A screen the page is shown on.
#[derive(Clone, Copy, Debug)]
pub struct Screen {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    /// A phone or tablet: touch, and the viewport meta tag applies.
    pub mobile: bool,
}

/// The tests' unit of patience: a download, a device start, an epoch on the CPU path.
pub const MINUTE: Duration = Duration::from_secs(60);

pub const PHONE: Screen = Screen { name: "phone", width: 390, height: 844, mobile: true };
pub const SMALL_PHONE: Screen = Screen { name: "small-phone", width: 360, height: 740, mobile: true };
pub const TABLET: Screen = Screen { name: "tablet", width: 768, height: 1024, mobile: true };
pub const DESKTOP: Screen = Screen { name: "desktop", width: 1280, height: 900, mobile: false };
pub const WIDE: Screen = Screen { name: "wide", width: 2560, height: 1440, mobile: false };

/// axe-core's script (from npm: app/tools.sh `need_axe`).
fn axe_script() -> String {
    let path = std::env::var_os("FILTERLAB_AXE").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var("HOME").unwrap()).join(".cache/filterlab/axe/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core is installed (app/tools.sh need_axe): {}: {e}", path.display()))
}

impl Browser {
    pub async fn open(gpu: Gpu) -> Self {
        Self::open_with(gpu, Fault::None).await
    }

    pub async fn open_with(gpu: Gpu, fault: Fault) -> Self {
        Self::open_at(gpu, fault, "").await
    }

    /// Opens the app with `query` (for example "?calibrate=always") after its address.
    pub async fn open_at(gpu: Gpu, fault: Fault, query: &str) -> Self {
        Self::open_in(gpu, fault, "/", query).await
    }

    /// Opens the app served from `folder` of the host ("/some/sub/path/"), as from a static
    /// host's sub-folder.
    pub async fn open_in(gpu: Gpu, fault: Fault, folder: &'static str, query: &str) -> Self {
        let dist = std::env::var_os("FILTERLAB_DIST").map(PathBuf::from).unwrap_or_else(|| repo().join("dist"));
        assert!(dist.join("index.html").exists(), "build the app first: trunk build (no {}/index.html)", dist.display());
        let served = Served::default();
        let down = Arc::new(AtomicBool::new(false));
        let site = serve(dist, fault, served.clone(), folder, down.clone());
        let driver_port = free_port();
        let driver = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt install chromium-driver)");
        let profile = TempDir(std::env::temp_dir().join(format!("filterlab-chromium-{driver_port}")));
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=1280,1500".into(),
            format!("--user-data-dir={}", profile.0.display()),
        ];
        if let Gpu::SwiftShader = gpu {
            for flag in ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader"] {
                args.push(flag.into());
            }
        }
        let downloads = profile.0.join("downloads");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": args,
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                    // A run's model file downloads after reading it from IndexedDB, past the click.
                    "profile.default_content_setting_values.automatic_downloads": 1,
                },
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(caps) = caps else { unreachable!() };
        let url = format!("http://127.0.0.1:{driver_port}");
        let start = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if start.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                Err(e) => panic!("could not start Chromium through chromedriver: {e}"),
            }
        };
        let site = format!("http://127.0.0.1:{site}{folder}");
        let browser = Self { client: Some(client), site, served, down, driver, _profile: profile };
        browser.goto(&format!("{}{query}", browser.site)).await;
        browser
    }

    /// Waits for the browser to finish downloading a file called `name`, and returns its bytes.
    pub async fn downloaded(&self, name: &str, timeout: Duration) -> Vec<u8> {
        let folder = self._profile.0.join("downloads");
        let path = folder.join(name);
        // Chromium makes an empty file of the name first and writes a .crdownload beside it: the
        // download is done when the file has bytes and no .crdownload is left.
        let writing = || std::fs::read_dir(&folder).into_iter().flatten().flatten().any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"));
        let start = Instant::now();
        while std::fs::metadata(&path).map_or(true, |m| m.len() == 0) || writing() {
            assert!(start.elapsed() < timeout, "{name} was never downloaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let bytes = std::fs::read(&path).unwrap();
        // Taken: a later download of the same name lands under it again (not "name (1)").
        std::fs::remove_file(&path).unwrap();
        bytes
    }

    /// A form field's current value.
    pub async fn value(&self, id: &str) -> String {
        let script = "return document.querySelector(arguments[0]).value;";
        self.c().execute(script, vec![json!(Self::selector(id))]).await.unwrap().as_str().unwrap_or_default().to_string()
    }

    /// The paths the page has downloaded so far (each once), in the order first asked for.
    pub fn served(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for p in self.served.lock().unwrap().iter() {
            if !seen.contains(p) {
                seen.push(p.clone());
            }
        }
        seen
    }

    /// Opens `url` in the same browser (same profile, so the same HTTP cache and storage), and
    /// waits for the page to be drawn.
    pub async fn goto(&self, url: &str) {
        self.c().goto(url).await.unwrap();
        let start = Instant::now();
        while self.c().find(Locator::Css(&Self::selector("status"))).await.is_err() {
            assert!(start.elapsed() < Duration::from_secs(30), "the page never showed up at {url}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs a script in the page; `arguments[0..]` are `args`.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.c().execute(script, args).await.unwrap()
    }

    /// Runs an asynchronous script: it ends by calling `arguments[arguments.length - 1](result)`.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.c().execute_async(script, args).await.unwrap()
    }

    /// How long an asynchronous script may run.
    pub async fn script_timeout(&self, timeout: Duration) {
        self.c().update_timeouts(fantoccini::wd::TimeoutConfiguration::new(Some(timeout), None, None)).await.unwrap();
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    fn selector(id: &str) -> String {
        format!("[data-testid=\"{id}\"]")
    }

    /// Finds the element and acts on it, finding it again when the page rendered it anew
    /// between the find and the act (WebDriver's "stale element reference").
    async fn on_element<T>(&self, id: &str, act: impl AsyncFn(Element) -> Result<T, CmdError>) -> T {
        for _ in 0..10 {
            let element = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
            match act(element).await {
                Err(e) if e.is_stale_element_reference() => continue,
                result => return result.unwrap(),
            }
        }
        panic!("{id} was rendered anew ten times in a row");
    }

    pub async fn text(&self, id: &str) -> String {
        self.on_element(id, async |e| e.text().await).await
    }

    /// An attribute's value ("" when it is absent). Found and read in one script: an element
    /// the page renders anew between a find and a read would otherwise fail the read as stale.
    pub async fn attr(&self, id: &str, name: &str) -> String {
        let script = "const e = document.querySelector(arguments[0]); return e === null ? null : (e.getAttribute(arguments[1]) ?? '');";
        match self.c().execute(script, vec![json!(Self::selector(id)), json!(name)]).await.unwrap() {
            Value::String(v) => v,
            _ => panic!("no element {id} on the page"),
        }
    }

    /// Waits until a button (or field) can be used.
    pub async fn wait_enabled(&self, id: &str, timeout: Duration) {
        self.wait(&format!("{id} to be enabled"), timeout, async || self.enabled(id).await).await
    }

    pub async fn enabled(&self, id: &str) -> bool {
        self.on_element(id, async |e| e.is_enabled().await).await
    }

    pub async fn click(&self, id: &str) {
        self.on_element(id, async |e| e.click().await).await;
    }

    /// Types into a form field the way a person's edit would arrive: value, then an input event.
    pub async fn set_input(&self, id: &str, value: &str) {
        let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}));";
        self.c().execute(script, vec![json!(Self::selector(id)), json!(value)]).await.unwrap();
    }

    /// Types `text` into a field key by key, as a person would, after emptying it (WebDriver
    /// keystrokes: a field made again mid-typing loses them, and this fails).
    pub async fn type_into(&self, id: &str, text: &str) {
        let field = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
        field.click().await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn wait(&self, what: &str, timeout: Duration, mut ok: impl AsyncFnMut() -> bool) {
        let start = Instant::now();
        while !ok().await {
            if start.elapsed() > timeout {
                self.screenshot("timeout").await;
                panic!(
                    "timed out after {timeout:?} waiting for {what}; status: {:?}, error: {:?}",
                    self.text("status").await,
                    self.text("error").await
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn wait_text(&self, id: &str, needle: &str, timeout: Duration) {
        self.wait(&format!("{id} to say {needle:?}"), timeout, async || {
            let error = self.text("error").await;
            assert!(error.is_empty(), "the page shows an error: {error}");
            self.text(id).await.contains(needle)
        })
        .await
    }

    /// Waits for the error box to mention `needle`, and returns its text.
    pub async fn wait_error(&self, needle: &str, timeout: Duration) -> String {
        let mut error = String::new();
        self.wait(&format!("the error box to say {needle:?}"), timeout, async || {
            error = self.text("error").await;
            error.contains(needle)
        })
        .await;
        error
    }

    pub async fn wait_attr_at_least(&self, id: &str, name: &str, n: usize, timeout: Duration) {
        self.wait(&format!("{id}[{name}] ≥ {n}"), timeout, async || {
            self.attr(id, name).await.parse::<usize>().unwrap_or(0) >= n
        })
        .await
    }

    pub async fn wait_attr_eq(&self, id: &str, name: &str, value: &str, timeout: Duration) {
        self.wait(&format!("{id}[{name}] = {value:?}"), timeout, async || self.attr(id, name).await == value).await
    }

    pub async fn wait_attr_nonempty(&self, id: &str, name: &str, timeout: Duration) {
        self.wait(&format!("{id}[{name}]"), timeout, async || !self.attr(id, name).await.is_empty()).await
    }

    pub async fn wait_attr_empty(&self, id: &str, name: &str, timeout: Duration) {
        self.wait(&format!("{id}[{name}] empty"), timeout, async || self.attr(id, name).await.is_empty()).await
    }

    /// Picks `path` in the file input `id`, as a person choosing a file would.
    pub async fn choose_file(&self, id: &str, path: &Path) {
        let input = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
        input.send_keys(&path.display().to_string()).await.unwrap();
    }

    /// An attribute read as a number (0 when empty).
    pub async fn number(&self, id: &str, name: &str) -> f64 {
        self.attr(id, name).await.parse().unwrap_or(0.0)
    }

    /// Waits for any text to be shown in `id` (the error box, for instance) and returns it.
    pub async fn wait_shown(&self, timeout: Duration) -> String {
        self.wait_attr_nonempty("error", "data-shown", timeout).await;
        self.text("error").await
    }

    /// The epoch log's rows, as cell texts.
    pub async fn epoch_rows(&self) -> Vec<Vec<String>> {
        let script = "return [...document.querySelectorAll('[data-testid=\"epoch-log\"] tr.epoch-row')].map(r => [...r.cells].map(c => c.textContent));";
        serde_json::from_value(self.c().execute(script, vec![]).await.unwrap()).unwrap()
    }

    /// A canvas's pixels, as a data URL.
    pub async fn canvas_png(&self, id: &str) -> String {
        let script = "return document.querySelector(arguments[0]).toDataURL();";
        self.c().execute(script, vec![json!(Self::selector(id))]).await.unwrap().as_str().unwrap().to_string()
    }

    /// Draws strokes on the pad with a mouse through WebDriver actions (real pointer events).
    /// Points are in pad pixels (0..280), origin at the top left.
    pub async fn draw(&self, strokes: &[Vec<(f64, f64)>]) {
        self.draw_with(Pointer::Mouse, strokes).await
    }

    /// Draws strokes with a mouse, a pen or a finger (WebDriver pointer actions of that type).
    pub async fn draw_with(&self, pointer: Pointer, strokes: &[Vec<(f64, f64)>]) {
        let pad = self.c().find(Locator::Css(&Self::selector("draw-pad"))).await.unwrap();
        // On screen first: pointer actions do not scroll, and the layout puts the pad anywhere.
        let size: f64 = self
            .c()
            .execute("const pad = document.querySelector('[data-testid=\"draw-pad\"]'); pad.scrollIntoView({block: 'center'}); return pad.getBoundingClientRect().width;", vec![])
            .await
            .unwrap()
            .as_f64()
            .unwrap();
        let k = size / 280.0;
        for stroke in strokes {
            let to = |p: &(f64, f64)| PointerAction::MoveToElement {
                element: pad.clone(),
                duration: Some(Duration::from_millis(5)),
                x: ((p.0 - 140.0) * k).round(),
                y: ((p.1 - 140.0) * k).round(),
            };
            let mut actions = vec![to(&stroke[0]), PointerAction::Down { button: MOUSE_BUTTON_LEFT }];
            actions.extend(stroke[1..].iter().map(to));
            actions.push(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
            let sequence: ActionSequence = match pointer {
                Pointer::Mouse => actions.into_iter().fold(MouseActions::new("mouse".into()), |a, x| a.then(x)).into(),
                Pointer::Pen => actions.into_iter().fold(PenActions::new("pen".into()), |a, x| a.then(x)).into(),
                Pointer::Touch => actions.into_iter().fold(TouchActions::new("finger".into()), |a, x| a.then(x)).into(),
            };
            self.c().perform_actions(sequence).await.unwrap();
        }
    }

    /// Saves a screenshot of the whole page to `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let dir = std::env::var_os("FILTERLAB_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|| repo().join("target/screenshots"));
        std::fs::create_dir_all(&dir).unwrap();
        if let Ok(png) = self.c().screenshot().await {
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    /// Saves a screenshot of one element (scrolled into view) to `target/screenshots/NAME.png`.
    pub async fn screenshot_of(&self, id: &str, name: &str) {
        let dir = std::env::var_os("FILTERLAB_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|| repo().join("target/screenshots"));
        std::fs::create_dir_all(&dir).unwrap();
        let element = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
        if let Ok(png) = element.screenshot().await {
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    }

    async fn cdp(&self, command: &'static str, params: Value) -> Value {
        self.c().issue_cmd(Cdp(command, params)).await.unwrap_or_else(|e| panic!("{command}: {e}"))
    }

    /// Opens the site in a new tab of the same browser profile and switches to it; returns the
    /// tab it was in, for [`Browser::switch_to`].
    pub async fn open_tab(&self) -> fantoccini::wd::WindowHandle {
        let here = self.c().window().await.unwrap();
        let tab = self.c().new_window(true).await.unwrap();
        self.c().switch_to_window(tab.handle).await.unwrap();
        self.goto(&self.site).await;
        here
    }

    /// The tab WebDriver works in now.
    pub async fn tab_handle(&self) -> fantoccini::wd::WindowHandle {
        self.c().window().await.unwrap()
    }

    pub async fn switch_to(&self, tab: fantoccini::wd::WindowHandle) {
        self.c().switch_to_window(tab).await.unwrap();
    }

    /// Closes the tab WebDriver works in (switch to another before the next command).
    pub async fn close_tab(&self) {
        self.c().close_window().await.unwrap();
    }

    /// Limits the site's storage to `bytes` (Chrome's quota override, as when a disk is full).
    pub async fn quota(&self, bytes: u64) {
        let url = url::Url::parse(&self.site).unwrap();
        let origin = url.origin().ascii_serialization();
        self.cdp("Storage.overrideQuotaForOrigin", json!({"origin": origin, "quotaSize": bytes})).await;
    }

    /// Shows the page as on `screen` (its CSS pixels, at a device pixel ratio of 2 on phones
    /// and tablets), with touch there.
    pub async fn emulate(&self, screen: Screen) {
        let scale = if screen.mobile { 2 } else { 1 };
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": screen.width, "height": screen.height, "deviceScaleFactor": scale, "mobile": screen.mobile}),
        )
        .await;
        self.cdp("Emulation.setTouchEmulationEnabled", json!({"enabled": screen.mobile, "maxTouchPoints": 5})).await;
    }

    /// `prefers-color-scheme: dark` (or back to light).
    pub async fn dark(&self, dark: bool) {
        let scheme = if dark { "dark" } else { "light" };
        self.cdp("Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]})).await;
    }

    /// Takes the network away (or gives it back): the test server stops answering in HTTP, for
    /// the page, its workers and its service worker alike.
    pub fn network(&self, up: bool) {
        self.down.store(!up, Ordering::SeqCst);
    }

    /// axe-core's violations on the page as it is now: "rule (impact): elements" per violation.
    pub async fn axe_violations(&self) -> Vec<String> {
        self.js(&axe_script(), vec![]).await;
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.map(v => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)))
              .catch(e => done([`axe failed: ${e}`]));";
        serde_json::from_value(self.js_async(script, vec![]).await).unwrap()
    }

    /// How far the page is wider than the screen (0: no sideways scrolling).
    pub async fn overflow_px(&self) -> f64 {
        self.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![]).await.as_f64().unwrap()
    }

    /// The elements that reach past the right edge of the window (tag, class, test id, right
    /// edge), for a failing `overflow_px`'s message.
    pub async fn sticking_out(&self) -> Vec<String> {
        let found = self.js(
            "const w = document.documentElement.clientWidth;
             return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5)
               .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${e.dataset.testid || ''} ${Math.round(e.getBoundingClientRect().right)}`);",
            vec![],
        );
        serde_json::from_value(found.await).unwrap_or_default()
    }

    /// The `data-testid` of the element that has the keyboard focus after one more Tab.
    pub async fn tab(&self) -> String {
        self.press('\u{E004}').await;
        self.js("const a = document.activeElement; return a.dataset.testid || a.id || a.tagName;", vec![]).await.as_str().unwrap_or_default().to_string()
    }

    /// Presses and releases a key, as a keyboard does ('\u{E007}' Enter, ' ' Space, '\u{E004}' Tab).
    pub async fn press(&self, key: char) {
        let keys = KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        self.c().perform_actions(keys).await.unwrap();
    }

    /// Taps an element with a finger.
    pub async fn tap(&self, id: &str) {
        let element = self.c().find(Locator::Css(&Self::selector(id))).await.unwrap();
        self.js("arguments[0].scrollIntoView({block: 'center'});", vec![serde_json::to_value(&element).unwrap()]).await;
        let to = PointerAction::MoveToElement { element, duration: None, x: 0.0, y: 0.0 };
        let finger = TouchActions::new("finger".into()).then(to).then(PointerAction::Down { button: MOUSE_BUTTON_LEFT }).then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        self.c().perform_actions(finger).await.unwrap();
    }

    /// Saves a screenshot of the whole page, not just the screen, to `target/screenshots/NAME.png`
    /// (the screen is stretched to the page's height for it, then set back).
    pub async fn screenshot_page(&self, screen: Screen, name: &str) {
        let height = self.js("return document.documentElement.scrollHeight;", vec![]).await.as_f64().unwrap() as u32;
        self.emulate(Screen { height: height.max(screen.height), ..screen }).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.screenshot(name).await;
        self.emulate(screen).await;
    }

    /// Fails on any console message of level SEVERE (errors, uncaught exceptions).
    pub async fn assert_no_console_errors(&self) {
        let log = self.c().issue_cmd(BrowserLog).await.unwrap();
        let errors: Vec<&Value> = log.as_array().map(|a| a.iter().filter(|e| e["level"] == "SEVERE").collect()).unwrap_or_default();
        assert!(errors.is_empty(), "console errors: {errors:#?}");
    }

    pub async fn close(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A failed test never closes its session: end its Chromium too (found by its profile).
        let _ = Command::new("pkill").arg("-f").arg(&self._profile.0).status();
    }
}

/// A `.flab` model file (filterlab_protocol::model_file) for 8 vs 1 with these weights and no record.
pub fn model_file(conv_weight: &[f32], conv_bias: &[f32], fc_weight: &[f32], fc_bias: &[f32]) -> Vec<u8> {
    let weights = Weights {
        shape: NetShape::NOTEBOOK,
        conv_weight: conv_weight.to_vec(),
        conv_bias: conv_bias.to_vec(),
        fc_weight: fc_weight.to_vec(),
        fc_bias: fc_bias.to_vec(),
    };
    ModelFile { weights, digits: DigitPair::new(8, 1).unwrap().into(), record: String::new() }.to_bytes()
}

/// The 338 weights in a model file (the order of [`model_file`]'s arguments); panics on a bad file.
pub fn weights_in(file: &[u8]) -> Vec<f32> {
    ModelFile::from_bytes(file).expect("a valid model file").weights.to_vec()
}

/// Writes `bytes` to a file called `name` in a temporary folder (for Import) and returns its path.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("filterlab-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A "1": one vertical stroke, slightly slanted, as people write it.
pub fn one() -> Vec<Vec<(f64, f64)>> {
    vec![(0..=20).map(|i| (135.0 + i as f64 * 0.8, 50.0 + i as f64 * 9.0)).collect()]
}

/// A "7": a bar across the top, then one stroke down to the lower left, without lifting the pen.
pub fn seven() -> Vec<Vec<(f64, f64)>> {
    let line = |(x0, y0): (f64, f64), (x1, y1): (f64, f64)| (0..=12).map(move |i| (x0 + (x1 - x0) * i as f64 / 12.0, y0 + (y1 - y0) * i as f64 / 12.0));
    vec![line((85.0, 55.0), (195.0, 55.0)).chain(line((195.0, 55.0), (125.0, 235.0)).skip(1)).collect()]
}

/// An "8": two loops, a small one above a larger one, each a closed circle.
pub fn eight() -> Vec<Vec<(f64, f64)>> {
    let circle = |cx: f64, cy: f64, rx: f64, ry: f64| -> Vec<(f64, f64)> {
        (0..=36).map(|i| {
            let a = i as f64 / 36.0 * std::f64::consts::TAU;
            (cx + rx * a.sin(), cy - ry * a.cos())
        }).collect()
    };
    vec![circle(140.0, 95.0, 38.0, 42.0), circle(140.0, 185.0, 45.0, 48.0)]
}
