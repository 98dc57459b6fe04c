//! Outgoing HTTP (the demo and bench clients, webhooks). reqwest is built without a
//! bundled crypto provider so the whole binary shares rustls + ring with sqlx; this
//! installs it once before any client is made.

use std::sync::Once;

pub fn builder() -> reqwest::ClientBuilder {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Err means another provider is already installed, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}
