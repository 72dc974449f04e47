//! The TLS every client of this crate speaks: rustls with the `ring` crypto provider, TLS 1.2 and
//! 1.3, and the server's certificate checked against the roots this machine trusts, hostname
//! included.
//!
//! The provider is handed to each client's configuration rather than installed as the process
//! default: a program that installs its own default, or builds its own reqwest clients with
//! another provider, is not affected. `ring` rather than reqwest's default `aws-lc-rs`: the same
//! protocols and cipher suites for a client, without the C build (cmake) that dominated a
//! dependent crate's cold build.
//!
//! The roots are the platform's (`rustls-platform-verifier`, as reqwest's own default): a CA an
//! administrator added to the system store, e.g. a proxy's, is trusted here too, and the bundle
//! follows the system's updates rather than this crate's releases.

use std::sync::Arc;

use rustls::ClientConfig;

/// The protocols offered by ALPN, preferred first: what reqwest offers with its own TLS setup,
/// which it leaves to the caller when handed a configuration.
const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// A client configuration with the `ring` provider, the safe default protocol versions (TLS 1.2
/// and 1.3) and the platform's verifier. Fails when the verifier cannot be built, e.g. on a
/// system with no CA certificate at all.
pub(crate) fn client_config() -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous() // not dangerous here: the platform's verifier checks chain and hostname
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use rustls::crypto::CryptoProvider;

    use super::*;

    // The protocol versions offered are checked on the wire, by `tests/runtime/tls.rs`.
    #[test]
    fn ring_speaks_for_the_client_which_offers_both_http_versions_and_names_the_server() {
        let config = client_config().expect("this machine has CA certificates");
        let ring = rustls::crypto::ring::default_provider();
        let suites = |p: &CryptoProvider| p.cipher_suites.iter().map(|s| s.suite()).collect::<Vec<_>>();
        assert_eq!(suites(config.crypto_provider()), suites(&ring));
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert!(config.enable_sni, "the server's name is sent");
    }
}
