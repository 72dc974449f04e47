//! Server user data: keys and `text/plain` values (cloud-init is the key `cloud-init`).

use std::collections::BTreeMap;

use futures_util::TryStreamExt;

use super::{check_id, ignore_missing, optional, zonal_handler};
use crate::error::ApiAnswer;
use crate::{Error, Result};

/// The most the API stores for one key (user data values are limited to 64 KiB).
pub const MAX_USER_DATA_BYTES: usize = 64 * 1024;

zonal_handler!(
    /// User data of servers in a zone. From [`Scaleway::user_data`](super::Scaleway::user_data).
    UserData
);

/// A key is one URL path segment: letters, digits, `-`, `_` and `.`.
fn check_key(key: &str) -> Result<()> {
    if key.is_empty()
        || key.len() > 255
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::invalid_input(
            "user data key",
            format!(
                "`{}` must be 1 to 255 letters, digits, `-`, `_` or `.`",
                key.escape_debug()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn check_value(value: &str) -> Result<()> {
    if value.len() > MAX_USER_DATA_BYTES {
        return Err(Error::invalid_input(
            "user data",
            format!(
                "{} bytes is more than the {MAX_USER_DATA_BYTES} bytes the API accepts",
                value.len()
            ),
        ));
    }
    Ok(())
}

impl UserData<'_> {
    /// The keys a server has.
    pub async fn keys(&self, server_id: &str) -> Result<Vec<String>> {
        check_id("server id", server_id)?;
        let answer = self
            .scw
            .apis()
            .instance
            .list_server_user_data()
            .zone(&self.zone)
            .server_id(server_id)
            .send()
            .await?;
        Ok(answer.into_inner().user_data)
    }

    /// The value of one key, `None` if the server has no such key.
    pub async fn get(&self, server_id: &str, key: &str) -> Result<Option<String>> {
        check_id("server id", server_id)?;
        check_key(key)?;
        let answer = optional(
            self.scw
                .apis()
                .instance
                .get_server_user_data()
                .zone(&self.zone)
                .server_id(server_id)
                .key(key)
                .send()
                .await,
        )?;
        let Some(answer) = answer else { return Ok(None) };
        let about = ApiAnswer::from_headers(answer.status().as_u16(), answer.headers(), None);
        let chunks: Vec<bytes::Bytes> =
            answer
                .into_inner()
                .into_inner()
                .try_collect()
                .await
                .map_err(|e| Error::Transport {
                    may_have_been_applied: false,
                    source: e,
                })?;
        String::from_utf8(chunks.concat())
            .map(Some)
            .map_err(|_| Error::Decode {
                message: format!("user data `{key}` is not UTF-8 text"),
                answer: Some(Box::new(about)),
            })
    }

    /// Sets one key, as `text/plain`.
    pub async fn set(&self, server_id: &str, key: &str, value: &str) -> Result<()> {
        check_id("server id", server_id)?;
        check_key(key)?;
        check_value(value)?;
        self.scw
            .apis()
            .instance
            .set_server_user_data()
            .zone(&self.zone)
            .server_id(server_id)
            .key(key)
            .body(value.to_string())
            .send()
            .await?;
        Ok(())
    }

    /// Deletes one key; Ok if it is already gone.
    pub async fn delete(&self, server_id: &str, key: &str) -> Result<()> {
        check_id("server id", server_id)?;
        check_key(key)?;
        ignore_missing(
            self.scw
                .apis()
                .instance
                .delete_server_user_data()
                .zone(&self.zone)
                .server_id(server_id)
                .key(key)
                .send()
                .await,
        )
    }

    /// Every key and its value.
    pub async fn get_all(&self, server_id: &str) -> Result<BTreeMap<String, String>> {
        let mut all = BTreeMap::new();
        for key in self.keys(server_id).await? {
            // A key removed between the listing and its read is simply not there any more.
            if let Some(value) = self.get(server_id, &key).await? {
                all.insert(key, value);
            }
        }
        Ok(all)
    }

    /// Makes the server's user data exactly `values`: keys not in the map are deleted, the others
    /// set. Every key and value is checked before any request.
    pub async fn set_all(&self, server_id: &str, values: &BTreeMap<String, String>) -> Result<()> {
        check_id("server id", server_id)?;
        for (key, value) in values {
            check_key(key)?;
            check_value(value)?;
        }
        for key in self.keys(server_id).await? {
            if !values.contains_key(&key) {
                self.delete(server_id, &key).await?;
            }
        }
        for (key, value) in values {
            self.set(server_id, key, value).await?;
        }
        Ok(())
    }
}
