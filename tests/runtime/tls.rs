//! The TLS the client speaks, seen from the server's side of a handshake: a local listener reads
//! the client's first message (the ClientHello) and closes, so no certificate is needed.

use std::collections::HashMap;

use scaleway_client::{Error, RetryPolicy};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use crate::common;

const HANDSHAKE_RECORD: u8 = 0x16;
const CLIENT_HELLO: u8 = 0x01;
const SERVER_NAME: u16 = 0x0000;
const ALPN: u16 = 0x0010;
const SUPPORTED_VERSIONS: u16 = 0x002b;
const TLS_1_2: [u8; 2] = [0x03, 0x03];
const TLS_1_3: [u8; 2] = [0x03, 0x04];

/// The extensions of a ClientHello handshake message (its type byte and length removed), by type.
fn extensions(mut hello: &[u8]) -> HashMap<u16, Vec<u8>> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> &'a [u8] {
        let (head, tail) = bytes.split_at(n);
        *bytes = tail;
        head
    }
    fn length(bytes: &mut &[u8], width: usize) -> usize {
        take(bytes, width).iter().fold(0, |n, b| n << 8 | usize::from(*b))
    }
    take(&mut hello, 2 + 32); // legacy version, random
    let session_id = length(&mut hello, 1);
    take(&mut hello, session_id);
    let cipher_suites = length(&mut hello, 2);
    take(&mut hello, cipher_suites);
    let compression = length(&mut hello, 1);
    take(&mut hello, compression);
    let all = length(&mut hello, 2);
    let mut rest = take(&mut hello, all);
    let mut found = HashMap::new();
    while !rest.is_empty() {
        let kind = length(&mut rest, 2) as u16;
        let size = length(&mut rest, 2);
        found.insert(kind, take(&mut rest, size).to_vec());
    }
    found
}

#[tokio::test]
async fn the_client_offers_tls_1_3_and_1_2_with_the_host_name_and_both_http_versions() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut header = [0u8; 5];
        socket.read_exact(&mut header).await.unwrap();
        let mut record = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
        socket.read_exact(&mut record).await.unwrap();
        // Dropping the socket ends the handshake there.
        (header[0], record)
    });
    // `localhost`, not an address: a host name is what the client names in the handshake.
    let config = common::mock_config(format!("https://localhost:{port}"));
    let client = common::client_builder(config)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("the TLS configuration builds");
    let error = client
        .account()
        .list_projects()
        .send()
        .await
        .map_err(Error::from)
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                may_have_been_applied: false,
                ..
            }
        ),
        "{error:?}"
    );

    let (record_type, record) = server.await.unwrap();
    assert_eq!(record_type, HANDSHAKE_RECORD);
    assert_eq!(record[0], CLIENT_HELLO);
    let extensions = extensions(&record[4..]);
    let versions = &extensions[&SUPPORTED_VERSIONS][1..];
    let versions: Vec<[u8; 2]> = versions.chunks(2).map(|v| [v[0], v[1]]).collect();
    assert!(versions.contains(&TLS_1_3), "{versions:?}");
    assert!(versions.contains(&TLS_1_2), "{versions:?}");
    assert!(
        versions.iter().all(|v| *v == TLS_1_3 || *v == TLS_1_2),
        "nothing older than TLS 1.2 is offered: {versions:?}"
    );
    assert!(extensions[&SERVER_NAME].ends_with(b"localhost"));
    // Each protocol name prefixed by its length, after the list's length.
    assert_eq!(extensions[&ALPN][2..], *b"\x02h2\x08http/1.1");
}
