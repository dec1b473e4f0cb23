//! Models in and out of the page other than through the run library: Import (every format
//! `filterlab_protocol::notebook_file` reads, read here, so the worker only ever gets a `.flab`),
//! Export for PyTorch (the notebook's `.safetensors`), and the model a link carries.

use filterlab_protocol::{ModelFile, ModelSource, ToWorker, model_link, notebook_file};

use crate::{
    address::Address,
    state::{Effect, PageState},
};

impl PageState {
    /// A model file picked for Import (`.flab`, PyTorch `.pt`/`.pth` or `.safetensors`): read
    /// here, it goes to the worker as a `.flab` and wins over a run being opened; a file that
    /// cannot be read changes nothing.
    pub fn import(&mut self, bytes: Vec<u8>, name: String) -> Vec<Effect> {
        match notebook_file::open(&bytes) {
            Ok(opened) => {
                self.model.opening = None;
                self.model.import_note = opened.note;
                vec![Effect::Send(ToWorker::Import { bytes: opened.file.to_bytes(), source: ModelSource::File { name } })]
            }
            Err(why) => {
                self.messages.error = Some(format!("{name} was not imported: {why}. The current model is unchanged."));
                Vec::new()
            }
        }
    }

    /// The current model as the notebook's `.safetensors` (Export for PyTorch).
    pub fn export_for_pytorch(&self) -> Result<Vec<u8>, String> {
        let bytes = self.model.checkpoint.as_ref().ok_or("there is no model yet: train or import one")?;
        Ok(notebook_file::to_safetensors(&ModelFile::from_bytes(bytes).map_err(|e| e.to_string())?))
    }

    /// The model a link's fragment carries becomes the current one once the worker has its data
    /// (instead of the most recent kept run). A damaged or hostile one is refused with a message,
    /// and the page opens as if the fragment were absent.
    pub(crate) fn open_link(&mut self, address: &Address) {
        let refuse = |why: String| format!("The link's model was not opened: {why}. The page opened without it.");
        match address.fragment.model().and_then(|m| m.map(model_link::decode).transpose()) {
            Ok(Some(file)) => self.model.restore = Some((file.to_bytes(), ModelSource::Link)),
            Ok(None) => {}
            Err(why) => {
                self.messages.error = Some(refuse(why));
                self.link_refused = true;
            }
        }
    }

    /// The page's link (relative: `?…#…`): the settings and network, and the current model when
    /// it fits in a link (else the error says to use Export).
    pub fn link(&self, address: &Address) -> Result<String, String> {
        let query = address.with_form(&self.form);
        let model = match &self.model.checkpoint {
            None => None,
            Some(bytes) => {
                let file = ModelFile::from_bytes(bytes).map_err(|e| e.to_string())?;
                let params = file.weights.shape.params();
                Some(model_link::encode(&file).ok_or(format!(
                    "This model ({params} parameters) is too large for a link: use Export, and share the file instead."
                ))?)
            }
        };
        // The page's link is the page, not the lesson it may have opened with.
        Ok(format!("{query}{}", address.fragment.set("lesson", None).with_model(model.as_deref())))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use filterlab_protocol::{Digits, FromWorker, NetShape, Weights};

    use super::*;
    use crate::state::tests::{kept, page, started};

    /// A model file of the notebook's network (zeros).
    pub(crate) fn flab() -> Vec<u8> {
        let weights = filterlab_protocol::Weights::from_slice(NetShape::NOTEBOOK, &[0.0; 338]);
        filterlab_protocol::ModelFile { weights, digits: Digits::default(), record: String::new() }.to_bytes()
    }

    /// The notebook's formats are read on the page: the worker gets a `.flab`, and the user is
    /// told which digits a two-class PyTorch file was taken for. Export for PyTorch writes them back.
    #[test]
    fn a_notebook_file_is_imported_as_a_flab_with_a_note_and_exported_back() {
        use filterlab_protocol::notebook_file;
        let mut p = page();
        started(&mut p);
        assert!(p.export_for_pytorch().is_err(), "no model yet");
        let file = filterlab_protocol::ModelFile::from_bytes(&flab()).unwrap();
        let safetensors = notebook_file::to_safetensors(&file);
        // Without its metadata (as PyTorch writes it) the file says nothing of its digits.
        let plain = safetensors::serialize(safetensors::SafeTensors::deserialize(&safetensors).unwrap().tensors(), None).unwrap();
        let effects = p.import(plain, "m.safetensors".into());
        assert_eq!(effects, vec![Effect::Send(ToWorker::Import { bytes: flab(), source: ModelSource::File { name: "m.safetensors".into() } })]);
        p.apply(FromWorker::Restored { source: ModelSource::File { name: "m.safetensors".into() }, digits: Digits::default(), shape: NetShape::NOTEBOOK, settings: None, history: vec![] }, 0.0);
        assert!(p.messages.notice.as_deref().unwrap().contains("read as the notebook's 8 (class 0) vs 1"), "{:?}", p.messages.notice);
        p.apply(FromWorker::Checkpoint { file: flab(), epoch_end: false }, 0.0);
        assert_eq!(notebook_file::open(&p.export_for_pytorch().unwrap()).unwrap().file, file);
        // A hostile or broken file is refused here, naming why; nothing goes to the worker.
        let effects = p.import(b"PK\x03\x04 not really".to_vec(), "evil.pt".into());
        assert_eq!(effects, vec![]);
        assert!(p.messages.error.as_deref().unwrap().starts_with("evil.pt was not imported: not a PyTorch file"), "{:?}", p.messages.error);
    }

    fn linked(query: &str, hash: &str) -> (PageState, Address) {
        let address = Address::parse_page(query, hash);
        (PageState::new(&address), address)
    }

    /// Copy link → open it elsewhere: the same model (bit for bit), the network and settings;
    /// it replaces the most recent kept run at load, and is kept only once trained further.
    #[test]
    fn a_link_carries_the_model_and_opens_it_instead_of_the_newest_run() {
        let (mut p, address) = linked("?lr=0.5", "");
        started(&mut p);
        let plain = p.link(&address).unwrap();
        assert_eq!(plain, "?optimizer=sgd&lr=0.5&epochs=10&batch=64&seed=42&digits=8%2C1&filters=8&kernel=3&pool=7", "no model yet: settings only");
        let values: Vec<f32> = (0..338).map(|i| i as f32 / 1000.0).collect();
        let file = ModelFile { weights: Weights::from_slice(NetShape::NOTEBOOK, &values), digits: Digits::default(), record: "{}".into() };
        p.apply(FromWorker::Checkpoint { file: file.to_bytes(), epoch_end: false }, 0.0);
        let link = p.link(&address).unwrap();
        let (query, hash) = link.split_once('#').unwrap();

        let (mut there, _) = linked(query, hash);
        assert_eq!(there.messages.error, None);
        assert!(there.library_listed(vec![crate::state::tests::record("old", 1, 0.0)], vec![]).is_empty(), "the link's model wins over the newest run");
        let effects = there.apply(FromWorker::DataReady { train: 1, test: 1, digits: Digits::default() }, 0.0);
        let sent = effects.iter().find_map(|e| match e {
            Effect::Send(ToWorker::Import { bytes, source: ModelSource::Link }) => Some(ModelFile::from_bytes(bytes).unwrap()),
            _ => None,
        });
        assert_eq!(sent.map(|f| f.weights), Some(file.weights.clone()));
        assert_eq!(there.form.lr, "0.5");
        there.apply(FromWorker::Restored { source: ModelSource::Link, digits: Digits::default(), shape: NetShape::NOTEBOOK, settings: None, history: vec![] }, 0.0);
        assert!(there.messages.status.starts_with("Opened the link's model"), "{}", there.messages.status);
        // Not kept as it is (a reload opens the link again): only once trained further.
        assert!(kept(&mut there, FromWorker::Checkpoint { file: file.to_bytes(), epoch_end: false }).is_empty());
    }

    #[test]
    fn a_damaged_or_hostile_link_is_refused_and_the_page_opens_as_usual() {
        for hash in ["#v=1&model=AAAA", "#v=1&model=%3Cscript%3E", "#v=9&model=AAAA", "#model=AAAA"] {
            let (mut p, _) = linked("", hash);
            let error = p.messages.error.clone().unwrap_or_default();
            assert!(error.starts_with("The link's model was not opened: ") && error.ends_with("The page opened without it."), "{hash}: {error}");
            assert!(p.model.restore.is_none() && p.link_refused, "{hash}");
            assert_eq!(p.library_listed(vec![crate::state::tests::record("old", 1, 0.0)], vec![]).len(), 1, "{hash}: the newest run opens");
        }
    }

    #[test]
    fn a_model_too_large_for_a_link_says_to_export() {
        let (mut p, address) = linked("", "");
        started(&mut p);
        let shape = NetShape { filters: 32, kernel: 5, pool: 4, classes: 2 };
        let values: Vec<f32> = (0..shape.params()).map(|i| (i as f32).sin()).collect();
        let file = ModelFile { weights: Weights::from_slice(shape, &values), digits: Digits::default(), record: String::new() };
        p.apply(FromWorker::Checkpoint { file: file.to_bytes(), epoch_end: false }, 0.0);
        assert!(p.link(&address).unwrap_err().contains("too large for a link: use Export"));
    }
}
