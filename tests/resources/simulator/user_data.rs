//! `UserData`: keys, get, set, delete, get_all, set_all, as raw text.

use std::collections::BTreeMap;

use scaleway_client::resources::{MAX_USER_DATA_BYTES, ServerSpec, VolumePolicy};

use super::env;

#[tokio::test]
async fn user_data_is_read_and_written_key_by_key_and_as_a_whole() {
    // A little over a screen: the keys written one by one are then read and replaced as a whole.
    let env = env().await;
    let scw = &env.scw;
    let server = scw
        .servers()
        .create(&ServerSpec::new("ud", "DEV1-S", "ubuntu-24.04").cloud_init("#cloud-config\n"))
        .await
        .unwrap();
    let id = server.id.clone().unwrap();
    let user_data = scw.user_data();

    assert_eq!(user_data.keys(&id).await.unwrap(), ["cloud-init"]);
    assert_eq!(user_data.get(&id, "missing").await.unwrap(), None);

    // Raw text, kept byte for byte (no JSON quoting, newlines and quotes intact).
    let script = "#!/bin/sh\necho \"hello\" > /tmp/x\n";
    user_data.set(&id, "boot.sh", script).await.unwrap();
    assert_eq!(
        user_data.get(&id, "boot.sh").await.unwrap().as_deref(),
        Some(script)
    );
    user_data.set(&id, "boot.sh", "again").await.unwrap();
    assert_eq!(
        user_data.get(&id, "boot.sh").await.unwrap().as_deref(),
        Some("again")
    );

    let all = user_data.get_all(&id).await.unwrap();
    let expected: BTreeMap<String, String> = [
        ("boot.sh".to_string(), "again".to_string()),
        ("cloud-init".to_string(), "#cloud-config\n".to_string()),
    ]
    .into();
    assert_eq!(all, expected);

    // set_all makes the user data exactly the map: `boot.sh` goes, `cloud-init` changes.
    let wanted: BTreeMap<String, String> = [
        (
            "cloud-init".to_string(),
            "#cloud-config\npackages: [git]\n".to_string(),
        ),
        ("role".to_string(), "worker".to_string()),
    ]
    .into();
    user_data.set_all(&id, &wanted).await.unwrap();
    assert_eq!(user_data.get_all(&id).await.unwrap(), wanted);
    assert_eq!(user_data.keys(&id).await.unwrap(), ["cloud-init", "role"]);

    user_data.delete(&id, "role").await.unwrap();
    user_data.delete(&id, "role").await.unwrap();
    assert_eq!(user_data.keys(&id).await.unwrap(), ["cloud-init"]);

    // Refused before any request: a key that is not a path segment, a value over the limit, and
    // a bad map (nothing of it applied).
    assert!(user_data.set(&id, "a/b", "x").await.is_err());
    let big = "x".repeat(MAX_USER_DATA_BYTES + 1);
    assert!(user_data.set(&id, "big", &big).await.is_err());
    let bad: BTreeMap<String, String> =
        [("ok".to_string(), "fine".to_string()), ("big".to_string(), big)].into();
    assert!(user_data.set_all(&id, &bad).await.is_err());
    assert_eq!(user_data.keys(&id).await.unwrap(), ["cloud-init"]);

    scw.servers().delete(&id, VolumePolicy::DeleteAll).await.unwrap();
    assert!(user_data.keys(&id).await.unwrap_err().is_not_found());
    env.assert_nothing_left();
}
