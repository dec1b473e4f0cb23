//! The page's address, parsed once: which device and training path it asks for, and the
//! training settings and network a shared link carries
//! (`?device=webgpu&optimizer=adam&lr=0.01&filters=2&pool=4`); and its fragment, what a link
//! carries that no server may see (`#v=1&model=…`: a model, `filterlab_protocol::model_link`).

use filterlab_protocol::{DevicePref, Ops, shape};

use crate::form::Form;

/// What the address asks of the page. Unknown keys are kept (they go back into the address
/// when the form writes its settings there), unknown values fall back to the defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Address {
    /// `device=auto|webgpu|cpu`.
    pub device: DevicePref,
    /// `ops=fused|stock`: Burn's stock path, for comparison.
    pub ops: Ops,
    /// `calibrate=always`: Auto times WebGPU even on a software adapter (the tests use it).
    pub calibrate_always: bool,
    /// The training form as the address gives it (defaults where a key is missing).
    pub form: Form,
    /// Whether the address names any training setting: then it wins over a saved model's.
    pub names_settings: bool,
    /// Every pair, in order, to write back with the form's settings.
    pairs: Vec<(String, String)>,
    /// What follows `#`.
    pub fragment: Fragment,
}

/// The fragment: `v=1`, then its keys (`model`: a model as `model_link` writes it; `lesson`: a
/// lesson as `lesson.rs` writes it). One
/// design for every link the page makes; a later version adds keys, and a fragment of a
/// version this page does not know is refused whole.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fragment {
    pairs: Vec<(String, String)>,
}

/// The fragment's version this page writes and reads.
pub const FRAGMENT_VERSION: &str = "1";

impl Fragment {
    /// Parses what follows `#` (with or without it).
    pub fn parse(hash: &str) -> Self {
        let pairs = form_urlencoded::parse(hash.strip_prefix('#').unwrap_or(hash).as_bytes()).into_owned().collect();
        Self { pairs }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The model the link carries, as text: `None` without one, an error for a fragment of
    /// another version.
    pub fn model(&self) -> Result<Option<&str>, String> {
        self.versioned("model")
    }

    /// The lesson the link carries, as text (`lesson.rs` reads it): `None` without one, an error
    /// for a fragment of another version.
    pub fn lesson(&self) -> Result<Option<&str>, String> {
        self.versioned("lesson")
    }

    fn versioned(&self, key: &str) -> Result<Option<&str>, String> {
        match (self.get("v"), self.get(key)) {
            (_, None) => Ok(None),
            (Some(FRAGMENT_VERSION), Some(value)) => Ok(Some(value)),
            (None, Some(_)) => Err("the link has no version (v=1)".into()),
            (Some(v), Some(_)) => Err(format!("the link is of version {v:?}, and this page reads version {FRAGMENT_VERSION}")),
        }
    }

    /// The fragment with `key` set to `value` (or removed), every other key kept.
    pub fn set(&self, key: &str, value: Option<&str>) -> Fragment {
        let mut pairs: Vec<(String, String)> = self.pairs.iter().filter(|(k, _)| k != key).cloned().collect();
        if let Some(value) = value {
            pairs.push((key.into(), value.into()));
        }
        Fragment { pairs }
    }

    /// The fragment as the address writes it (`#v=1&…`, the version first); empty when nothing
    /// but the version is left.
    pub fn text(&self) -> String {
        let rest: Vec<&(String, String)> = self.pairs.iter().filter(|(k, _)| k != "v").collect();
        if rest.is_empty() {
            return String::new();
        }
        let mut out = form_urlencoded::Serializer::new(String::new());
        // A fragment of another version keeps its own (and is refused for it when read).
        out.append_pair("v", self.get("v").unwrap_or(FRAGMENT_VERSION));
        for (k, v) in rest {
            out.append_pair(k, v);
        }
        format!("#{}", out.finish())
    }

    /// The fragment with this model (or none), every other key kept; empty when nothing is left.
    pub fn with_model(&self, model: Option<&str>) -> String {
        self.set("model", model).text()
    }

    /// The fragment with this lesson (a lesson link carries its own model: no `model` key).
    pub fn with_lesson(&self, lesson: &str) -> String {
        self.set("model", None).set("lesson", Some(lesson)).text()
    }
}

/// The keys the training form and the network's knobs own.
const FORM_KEYS: [&str; 10] = ["optimizer", "lr", "epochs", "batch", "seed", "digits", "filters", "kernel", "pool", "frozen"];

impl Address {
    /// Parses a query string, with or without its leading `?`.
    pub fn parse(query: &str) -> Self {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(query.strip_prefix('?').unwrap_or(query).as_bytes()).into_owned().collect();
        // The first value of a key wins, as `URLSearchParams.get` does.
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let device = match get("device") {
            Some("webgpu") => DevicePref::WebGpu,
            Some("cpu") => DevicePref::Cpu,
            _ => DevicePref::Auto,
        };
        let mut form = Form::default();
        if let Some(o) = get("optimizer").and_then(|o| o.parse().ok()) {
            form.optimizer = o;
        }
        for (key, field) in [
            ("lr", &mut form.lr),
            ("epochs", &mut form.epochs),
            ("batch", &mut form.batch_size),
            ("seed", &mut form.seed),
            ("digits", &mut form.digits),
            ("filters", &mut form.filters),
        ] {
            if let Some(v) = get(key) {
                *field = v.to_string();
            }
        }
        // `digits=all` is the ten-digit task; anything else is a pair as typed.
        if form.digits.parse::<filterlab_protocol::Digits>() == Ok(filterlab_protocol::Digits::All) {
            form.digits = Form::default().digits;
            form.all_digits = true;
        }
        // Kernel and pool are choices: a value that is none of them keeps the notebook's.
        let choice = |key: &str, allowed: &[usize]| get(key).and_then(|v| v.parse().ok()).filter(|v| allowed.contains(v));
        form.kernel = choice("kernel", &shape::KERNELS).unwrap_or(form.kernel);
        form.pool = choice("pool", &shape::POOLS).unwrap_or(form.pool);
        // `frozen=0,1`: the filters training leaves as they are (numbers that are not filters
        // of the network are dropped when the form makes its settings).
        if let Some(list) = get("frozen") {
            for f in list.split(',').filter_map(|f| f.trim().parse().ok()).filter(|f| shape::FILTER_RANGE.contains(&(f + 1))) {
                form.set_frozen(f, true);
            }
        }
        Self {
            device,
            ops: get("ops").and_then(|o| o.parse().ok()).unwrap_or_default(),
            calibrate_always: get("calibrate") == Some("always"),
            names_settings: FORM_KEYS.iter().any(|k| get(k).is_some()),
            form,
            pairs,
            fragment: Fragment::default(),
        }
    }

    /// The address of a page: its query string and its fragment.
    pub fn parse_page(query: &str, hash: &str) -> Self {
        Self { fragment: Fragment::parse(hash), ..Self::parse(query) }
    }

    /// The query string with this form's settings in it, every other key kept in place.
    pub fn with_form(&self, form: &Form) -> String {
        let optimizer = form.optimizer.to_string().to_lowercase();
        let (kernel, pool) = (form.kernel.to_string(), form.pool.to_string());
        let values = [
            ("optimizer", optimizer.as_str()),
            ("lr", form.lr.trim()),
            ("epochs", form.epochs.trim()),
            ("batch", form.batch_size.trim()),
            ("seed", form.seed.trim()),
            ("digits", if form.all_digits { filterlab_protocol::Digits::ALL_WORD } else { form.digits.trim() }),
            ("filters", form.filters.trim()),
            ("kernel", kernel.as_str()),
            ("pool", pool.as_str()),
        ];
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs.iter().filter(|(k, _)| !FORM_KEYS.contains(&k.as_str())) {
            out.append_pair(k, v);
        }
        for (k, v) in values {
            out.append_pair(k, v);
        }
        if !form.frozen.is_empty() {
            out.append_pair("frozen", &form.frozen.iter().map(|f| f.to_string()).collect::<Vec<_>>().join(","));
        }
        format!("?{}", out.finish())
    }
}

#[cfg(test)]
mod tests {
    use filterlab_protocol::{DigitPair, NetShape, OptimizerKind, Settings};

    use super::*;

    #[test]
    fn an_empty_address_asks_for_the_defaults() {
        for q in ["", "?"] {
            let a = Address::parse(q);
            assert_eq!((a.device, a.ops, a.calibrate_always, a.names_settings), (DevicePref::Auto, Ops::Fused, false, false));
            assert_eq!(a.form.settings(), Ok(Settings::default()));
        }
    }

    #[test]
    fn device_ops_and_calibration_are_read_exactly() {
        let a = Address::parse("?device=webgpu&ops=stock&calibrate=always");
        assert_eq!((a.device, a.ops, a.calibrate_always), (DevicePref::WebGpu, Ops::Stock, true));
        assert_eq!(Address::parse("device=cpu").device, DevicePref::Cpu);
        // Near misses are not the device they resemble.
        for q in ["?device=webgpu2", "?device=WebGPU!", "?xdevice=webgpu", "?device=", "?mydevice=cpu"] {
            assert_eq!(Address::parse(q).device, DevicePref::Auto, "{q}");
        }
        assert_eq!(Address::parse("?ops=fast").ops, Ops::Fused);
        assert!(!Address::parse("?calibrate=always2").calibrate_always);
    }

    #[test]
    fn a_shared_link_carries_the_settings() {
        let a = Address::parse("?optimizer=adam&lr=0.01&epochs=5&batch=32&seed=7&digits=3%2C5");
        assert!(a.names_settings);
        let s = a.form.settings().unwrap();
        assert_eq!((s.optimizer, s.lr, s.epochs, s.batch_size, s.seed), (OptimizerKind::Adam, 0.01, 5, 32, 7));
        assert_eq!(s.digits, DigitPair::new(3, 5).unwrap().into());
        // Every optimizer by its word, and back.
        for kind in OptimizerKind::ALL {
            let form = Address::parse(&format!("?optimizer={}", kind.word())).form;
            assert_eq!(form.optimizer, kind);
            assert!(Address::parse("").with_form(&form).contains(&format!("optimizer={}&", kind.word())));
        }
        // A bad value stays as text, for the form to explain.
        let bad = Address::parse("?lr=fast");
        assert_eq!(bad.form.lr, "fast");
        assert!(bad.form.settings().unwrap_err().contains("learning rate"));
    }

    #[test]
    fn writing_the_form_keeps_the_other_keys_and_round_trips() {
        let a = Address::parse("?device=webgpu&lr=0.5&calibrate=always");
        let mut form = a.form.clone();
        form.optimizer = OptimizerKind::Adam;
        form.digits = " 3,5 ".into();
        let q = a.with_form(&form);
        assert_eq!(q, "?device=webgpu&calibrate=always&optimizer=adam&lr=0.5&epochs=10&batch=64&seed=42&digits=3%2C5&filters=8&kernel=3&pool=7");
        let back = Address::parse(&q);
        assert_eq!((back.device, back.calibrate_always), (DevicePref::WebGpu, true));
        assert_eq!(back.form.settings(), form.settings());
        // Written again, it does not change: the page writes the address only when it differs.
        assert_eq!(back.with_form(&back.form), q);
    }

    #[test]
    fn a_shared_link_carries_the_network() {
        let a = Address::parse("?filters=2&pool=4&kernel=5");
        assert!(a.names_settings);
        assert_eq!(a.form.settings().unwrap().shape, NetShape { filters: 2, kernel: 5, pool: 4, classes: 2 });
        let q = a.with_form(&a.form);
        assert!(q.ends_with("&filters=2&kernel=5&pool=4"), "{q}");
        assert_eq!(Address::parse(&q).form, a.form);
        // Kernel and pool outside their choices keep the notebook's; a bad filter count stays
        // as text, for the form to explain.
        let odd = Address::parse("?kernel=4&pool=5&filters=40");
        assert_eq!((odd.form.kernel, odd.form.pool), (3, 7));
        assert!(odd.form.settings().unwrap_err().contains("40 filters: a network has 1 to 32"));
        assert!(Address::parse("?filters=two").form.settings().unwrap_err().contains("filters: \"two\" is not a whole number"));
    }

    #[test]
    fn the_fragment_carries_a_model_under_its_version() {
        let a = Address::parse_page("?lr=0.5", "#v=1&model=abc-_");
        assert_eq!(a.fragment.model(), Ok(Some("abc-_")));
        assert_eq!(a.form.lr, "0.5");
        assert_eq!(Address::parse_page("", "").fragment.model(), Ok(None));
        assert!(Address::parse_page("", "#model=abc").fragment.model().unwrap_err().contains("no version"));
        assert!(Address::parse_page("", "#v=2&model=abc").fragment.model().unwrap_err().contains("version \"2\""));
        // Written back with another model (or none), other keys stay.
        let f = Fragment::parse("#v=1&title=x&model=abc");
        assert_eq!(f.with_model(Some("def")), "#v=1&title=x&model=def");
        assert_eq!(f.with_model(None), "#v=1&title=x");
        assert_eq!(Fragment::parse("#v=1&model=abc").with_model(None), "");
    }

    /// `frozen=0,1`: a teacher's frozen filters travel with the link.
    #[test]
    fn frozen_filters_travel_in_the_address() {
        let a = Address::parse("?frozen=1,0,x");
        assert!(a.names_settings);
        assert_eq!(a.form.frozen, vec![0, 1]);
        assert!(a.with_form(&a.form).ends_with("&pool=7&frozen=0%2C1"));
        assert_eq!(a.form.settings().unwrap().frozen, vec![0, 1]);
        assert!(!Address::parse("").with_form(&Form::default()).contains("frozen"));
    }

    /// `digits=all` is the ten-digit task: a 10-way linear layer; unticking it brings the pair back.
    #[test]
    fn ten_digits_travel_in_the_address() {
        let a = Address::parse("?digits=ALL&filters=2");
        assert!(a.form.all_digits);
        let s = a.form.settings().unwrap();
        assert_eq!((s.digits, s.shape.classes, s.shape.params()), (filterlab_protocol::Digits::All, 10, 2 * 10 + 10 * 32 + 10));
        let q = a.with_form(&a.form);
        assert!(q.contains("&digits=all&"), "{q}");
        assert_eq!(Address::parse(&q).form, a.form);
        let mut pair = a.form.clone();
        pair.all_digits = false;
        assert_eq!(pair.settings().unwrap().digits, DigitPair::default().into());
        assert_eq!(pair.shape().unwrap().classes, 2);
    }
}
