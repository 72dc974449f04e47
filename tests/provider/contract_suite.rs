//! The contract suite fails a provider that breaks the contracts: a provider that lies in four
//! ways (duplicate networks, errors for absent servers, any location accepted, a power-off that
//! does nothing) is caught by exactly the checks for those contracts.

use async_trait::async_trait;
use scaleway_client::provider::contract::{ContractFixture, run};
use scaleway_client::provider::scaleway::ScalewayProvider;
use scaleway_client::provider::{
    Firewall, Location, Network, Provider, ProviderError, ProviderResult, Server, ServerOptions, Size,
    Volume, VolumeOptions,
};

use crate::common;

struct Lying {
    inner: ScalewayProvider,
    networks: std::sync::atomic::AtomicU32,
}

#[async_trait]
impl Provider for Lying {
    fn name(&self) -> &str {
        "lying"
    }
    async fn find_or_create_network(&self, name: &str) -> ProviderResult<Network> {
        // Never finds: creates another one each time (under another name, as a buggy lookup would).
        let n = self.networks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut network = self.inner.find_or_create_network(&format!("{name}-{n}")).await?;
        network.name = name.to_string();
        Ok(network)
    }
    async fn get_network_by_name(&self, name: &str) -> ProviderResult<Network> {
        self.inner.get_network_by_name(name).await
    }
    async fn delete_network(&self, id: &str) -> ProviderResult<()> {
        self.inner.delete_network(id).await
    }
    async fn find_or_create_firewall(&self, name: &str) -> ProviderResult<Firewall> {
        self.inner.find_or_create_firewall(name).await
    }
    async fn get_firewall_by_name(&self, name: &str) -> ProviderResult<Firewall> {
        self.inner.get_firewall_by_name(name).await
    }
    async fn delete_firewall(&self, id: &str) -> ProviderResult<()> {
        self.inner.delete_firewall(id).await
    }
    async fn find_server(&self, name: &str) -> ProviderResult<Option<Server>> {
        self.inner.find_server(name).await
    }
    async fn get_server(&self, id: &str) -> ProviderResult<Option<Server>> {
        match self.inner.get_server(id).await? {
            Some(server) => Ok(Some(server)),
            None => Err(ProviderError::NotFound {
                kind: "server",
                name: id.into(),
            }),
        }
    }
    async fn list_servers(&self) -> ProviderResult<Vec<Server>> {
        self.inner.list_servers().await
    }
    async fn list_servers_by_tag(&self, tag: &str) -> ProviderResult<Vec<Server>> {
        self.inner.list_servers_by_tag(tag).await
    }
    async fn create_server(&self, options: &ServerOptions) -> ProviderResult<Server> {
        self.inner.create_server(options).await
    }
    async fn wait_for_server(&self, id: &str, max_attempts: u32) -> ProviderResult<Server> {
        self.inner.wait_for_server(id, max_attempts).await
    }
    async fn power_on(&self, id: &str) -> ProviderResult<()> {
        self.inner.power_on(id).await
    }
    async fn power_off(&self, _id: &str) -> ProviderResult<()> {
        Ok(())
    }
    async fn delete_server(&self, id: &str) -> ProviderResult<()> {
        self.inner.delete_server(id).await
    }
    async fn create_volume(&self, options: &VolumeOptions) -> ProviderResult<Volume> {
        self.inner.create_volume(options).await
    }
    async fn get_volume(&self, id: &str) -> ProviderResult<Option<Volume>> {
        self.inner.get_volume(id).await
    }
    async fn get_volume_by_name(&self, name: &str) -> ProviderResult<Option<Volume>> {
        self.inner.get_volume_by_name(name).await
    }
    async fn delete_volume(&self, id: &str) -> ProviderResult<()> {
        self.inner.delete_volume(id).await
    }
    async fn attach_volume(&self, volume_id: &str, server_id: &str) -> ProviderResult<()> {
        self.inner.attach_volume(volume_id, server_id).await
    }
    async fn detach_volume(&self, volume_id: &str) -> ProviderResult<()> {
        self.inner.detach_volume(volume_id).await
    }
    async fn validate_instance_type(&self, instance_type: &str) -> ProviderResult<()> {
        self.inner.validate_instance_type(instance_type).await
    }
    async fn validate_region(&self, _region: &str) -> ProviderResult<()> {
        Ok(())
    }
    async fn validate_credentials(&self) -> ProviderResult<()> {
        self.inner.validate_credentials().await
    }
    async fn sizes(&self) -> ProviderResult<Vec<Size>> {
        self.inner.sizes().await
    }
    async fn locations(&self) -> ProviderResult<Vec<Location>> {
        self.inner.locations().await
    }
}

#[tokio::test]
async fn the_contract_suite_catches_a_provider_that_breaks_it() {
    let sim = common::simulator(0.0).await;
    let lying = Lying {
        inner: common::simulator_provider(&sim),
        networks: Default::default(),
    };
    let report = run(&lying, &ContractFixture::new("liar", "DEV1-S", "ubuntu-24.04")).await;
    println!("{report}");
    let failed: Vec<&str> = report.failures().iter().map(|c| c.name).collect();
    for expected in [
        "validate_region refuses an unknown location",
        "get_server of an absent id is None",
        "find_or_create_network twice gives one network",
        "power_off stops it and is a no-op when stopped",
    ] {
        assert!(
            failed.contains(&expected),
            "the suite missed `{expected}`; failed: {failed:?}"
        );
    }
    assert!(
        report
            .to_string()
            .contains("FAIL  validate_region refuses an unknown location")
    );
    let result = std::panic::catch_unwind(|| report.assert_passed());
    assert!(result.is_err(), "assert_passed must fail on a failing report");
}
