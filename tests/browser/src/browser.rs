//! A browser session: chromedriver and a Chromium profile of its own, pointed at the test
//! server; tabs, scripts, downloads, screenshots, and what Chrome's DevTools protocol can change
//! (screen, colour scheme, storage quota).

use std::{
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, atomic::{AtomicBool, Ordering}},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator, wd::WebDriverCompatibleCommand};
use serde_json::{Value, json};

use crate::server::{Fault, Served, free_port, repo, serve};

/// The browser engine a session drives: the same WebDriver commands reach each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Debian's Chromium through chromedriver, headless, with WebGPU on SwiftShader or without.
    Chromium(Gpu),
    /// Debian's Firefox ESR through geckodriver (crates.io), headless; no WebGPU on Linux.
    Firefox,
    /// WebKitGTK, Safari's engine: WebKitWebDriver starting MiniBrowser in a virtual X display
    /// (xvfb-run); no WebGPU on Linux.
    WebKit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gpu {
    /// Real WebGPU, run on the CPU by SwiftShader.
    SwiftShader,
    /// No WebGPU at all: the CPU fallback.
    None,
}

pub struct Browser {
    client: Option<Client>,
    pub engine: Engine,
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

/// Chromium's capabilities: headless, its own profile, downloads without asking, the console
/// kept (for `assert_no_console_errors`).
fn chromium(gpu: Gpu, profile: &Path) -> Value {
    let mut args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--window-size=1280,1500".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    if let Gpu::SwiftShader = gpu {
        for flag in ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader"] {
            args.push(flag.into());
        }
    }
    json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": args,
            "prefs": {
                "download.default_directory": profile.join("downloads"),
                "download.prompt_for_download": false,
                // A run's model file downloads after reading it from IndexedDB, past the click.
                "profile.default_content_setting_values.automatic_downloads": 1,
            },
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    })
}

/// Firefox ESR's capabilities: headless, a window of Chromium's size.
fn firefox() -> Value {
    json!({
        "browserName": "firefox",
        "moz:firefoxOptions": {
            "binary": std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".into()),
            "args": ["-headless", "-width=1280", "-height=1500"],
        },
    })
}

/// MiniBrowser's capabilities (WebKitGTK's test browser, started by WebKitWebDriver).
fn webkit() -> Value {
    json!({
        "browserName": "MiniBrowser",
        "webkitgtk:browserOptions": {
            "binary": std::env::var("MINIBROWSER").unwrap_or_else(|_| "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser".into()),
            "args": ["--automation"],
        },
    })
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
        Self::open_on(Engine::Chromium(gpu), fault, folder, query).await
    }

    /// Opens the app in `engine`.
    pub async fn open_on(engine: Engine, fault: Fault, folder: &'static str, query: &str) -> Self {
        let dist = std::env::var_os("FILTERLAB_DIST").map(PathBuf::from).unwrap_or_else(|| repo().join("dist"));
        assert!(dist.join("index.html").exists(), "build the app first: trunk build (no {}/index.html)", dist.display());
        let served = Served::default();
        let down = Arc::new(AtomicBool::new(false));
        let site = serve(dist, fault, served.clone(), folder, down.clone());
        let driver_port = free_port();
        let profile = TempDir(std::env::temp_dir().join(format!("filterlab-browser-{driver_port}")));
        std::fs::create_dir_all(profile.0.join("downloads")).unwrap();
        let (mut driver, caps) = match engine {
            Engine::Chromium(gpu) => (Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into())), chromium(gpu, &profile.0)),
            Engine::Firefox => (Command::new("geckodriver"), firefox()),
            Engine::WebKit => {
                let mut xvfb = Command::new("xvfb-run");
                xvfb.args(["--auto-servernum", "WebKitWebDriver"]);
                (xvfb, webkit())
            }
        };
        let port_arg = if engine == Engine::Firefox { vec!["--port".to_string(), driver_port.to_string()] } else { vec![format!("--port={driver_port}")] };
        // A process group of its own, so that Drop ends the driver with everything it started.
        let driver = driver.args(port_arg).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0).spawn().unwrap_or_else(|e| panic!("the WebDriver server for {engine:?} is installed (app/tools.sh): {e}"));
        let Value::Object(caps) = caps else { unreachable!() };
        let url = format!("http://127.0.0.1:{driver_port}");
        let start = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if start.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                Err(e) => panic!("could not start {engine:?} through its WebDriver server: {e}"),
            }
        };
        let site = format!("http://127.0.0.1:{site}{folder}");
        let browser = Self { client: Some(client), engine, site, served, down, driver, _profile: profile };
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

    pub(crate) fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
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

    /// Sets the site's quota 64 KiB under what it stores once that has settled (the offline cache
    /// too), so that no write fits, and waits out the 30 s that Chromium's IndexedDB trusts the
    /// space it last measured. Returns what the site stores, in bytes.
    pub async fn storage_full(&self) -> f64 {
        let mut usage = 0.0;
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let now = self.js_async("const done = arguments[0]; navigator.storage.estimate().then((e) => done(e.usage));", vec![]).await.as_f64().unwrap();
            if now == usage {
                break;
            }
            usage = now;
        }
        self.quota(usage as u64 - 65_536).await;
        tokio::time::sleep(Duration::from_secs(31)).await;
        usage
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
    /// Chromium only: the other engines' drivers have no console log to read (it would take
    /// WebDriver BiDi), so there it checks nothing.
    pub async fn assert_no_console_errors(&self) {
        if !matches!(self.engine, Engine::Chromium(_)) {
            return;
        }
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
        // The driver's whole process group: xvfb-run's display and WebKitWebDriver's browser too.
        let _ = Command::new("kill").arg("--").arg(format!("-{}", self.driver.id())).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A failed test never closes its session: end its Chromium too (found by its profile).
        let _ = Command::new("pkill").arg("-f").arg(&self._profile.0).status();
    }
}
