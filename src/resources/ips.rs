//! Instance flexible IPs: routed IPv4 and IPv6 addresses that outlive their servers.

use futures_util::TryStreamExt;

use super::{
    check_id, check_tag, check_user_tag, create_once, create_token, ignore_missing, optional, zonal_handler,
};
use crate::api::instance_v1::types::{CreateIpBodyType, Ip};
use crate::{Error, Result};

/// The kind of a flexible IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpKind {
    /// A routed IPv4 address.
    RoutedIpv4,
    /// A routed IPv6 prefix.
    RoutedIpv6,
}

zonal_handler!(
    /// Flexible IPs of a zone. From [`Scaleway::ips`](super::Scaleway::ips).
    Ips
);

impl Ips<'_> {
    /// The IP, `None` if it does not exist.
    pub async fn get(&self, ip_id: &str) -> Result<Option<Ip>> {
        check_id("IP id", ip_id)?;
        Ok(optional(
            self.scw
                .apis()
                .instance
                .get_ip()
                .zone(&self.zone)
                .ip(ip_id)
                .send()
                .await,
        )?
        .and_then(|a| a.into_inner().ip))
    }

    /// The project's IPs carrying `tag`.
    pub async fn list_by_tag(&self, tag: &str) -> Result<Vec<Ip>> {
        check_tag(tag)?;
        let project = self.scw.project_id()?;
        self.scw
            .apis()
            .instance
            .list_ips()
            .zone(&self.zone)
            .project(project)
            .tags(tag)
            .stream()
            .try_collect()
            .await
    }

    /// Reserves a flexible IP in the project. The request carries a unique tag: if its answer is
    /// lost, the IP is looked up by that tag instead of being reserved twice.
    pub async fn create(&self, kind: IpKind, tags: &[String]) -> Result<Ip> {
        for tag in tags {
            check_user_tag(tag)?;
        }
        self.create_tagged(kind, tags).await
    }

    /// [`Ips::create`] with tags a workflow sets, a server create's token among them (the IP
    /// reserved for a server carries the server's token, so that its delete releases it).
    pub(crate) async fn create_tagged(&self, kind: IpKind, tags: &[String]) -> Result<Ip> {
        for tag in tags {
            check_tag(tag)?;
        }
        let project = self.scw.project_id()?;
        let token = create_token();
        let mut all_tags = tags.to_vec();
        all_tags.push(token.clone());
        let instance = &self.scw.apis().instance;
        let post = || async {
            let answer = instance
                .create_ip()
                .zone(&self.zone)
                .body_map(|b| {
                    b.project(project.to_string())
                        .tags(all_tags.clone())
                        .type_(match kind {
                            IpKind::RoutedIpv4 => CreateIpBodyType::RoutedIpv4,
                            IpKind::RoutedIpv6 => CreateIpBodyType::RoutedIpv6,
                        })
                })
                .send()
                .await?;
            let incomplete =
                Error::incomplete_answer(answer.status().as_u16(), answer.headers(), "no IP in the answer");
            answer.into_inner().ip.ok_or(incomplete)
        };
        let lookup = || async { Ok(self.list_by_tag(&token).await?.into_iter().next()) };
        create_once(&self.scw.options().wait, "flexible IP", post, lookup).await
    }

    /// Releases an IP; Ok if it is already gone.
    pub async fn delete(&self, ip_id: &str) -> Result<()> {
        check_id("IP id", ip_id)?;
        ignore_missing(
            self.scw
                .apis()
                .instance
                .delete_ip()
                .zone(&self.zone)
                .ip(ip_id)
                .send()
                .await,
        )
    }
}
