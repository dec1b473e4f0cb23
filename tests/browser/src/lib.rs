//! See tests/e2e.rs: the browser tests live there.
