//! Addresses: CIDR arithmetic, and the IPAM bookings the VPC, IPAM and Instance APIs share.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Booking, BookingError, Created, CreatedKind, IpamIp, PrivateNetwork, Store, api_time, new_id};

/// The IPAM resource type of an Instance private NIC.
pub(crate) const NIC_RESOURCE: &str = "instance_private_nic";

/// `172.16.4.0/22` or `fd5c:1:2:3::/64` → network address (host bits cleared) and prefix length.
pub(crate) fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = text.split_once('/')?;
    let address: IpAddr = address.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    match address {
        IpAddr::V4(v4) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            Some((IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask)), prefix))
        }
        IpAddr::V6(v6) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            Some((IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask)), prefix))
        }
        _ => None,
    }
}

/// The host part of `address` in `network/prefix`, or `None` when it is outside.
fn host_part(network: IpAddr, prefix: u8, address: IpAddr) -> Option<u128> {
    let (net, addr, bits) = match (network, address) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (u128::from(u32::from(n)), u128::from(u32::from(a)), 32),
        (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
        _ => return None,
    };
    let host_bits = bits - u32::from(prefix);
    let host_mask = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (addr & !host_mask == net).then_some(addr & host_mask)
}

/// Whether an address can be given to a resource: inside the subnet, not the network address,
/// not the gateway (the first host, as on every Scaleway private network) and, in IPv4, not the
/// broadcast address.
fn is_host_address(network: IpAddr, prefix: u8, address: IpAddr) -> bool {
    let Some(host) = host_part(network, prefix, address) else {
        return false;
    };
    match network {
        IpAddr::V4(_) => host >= 2 && host < (1u128 << (32 - u32::from(prefix))) - 1,
        IpAddr::V6(_) => host >= 2,
    }
}

/// A free address: in IPv4 the lowest free host after the gateway (`.2`, then `.3`, as the API
/// gives them); in IPv6 a random interface identifier, as the API's addresses are.
fn free_address(network: IpAddr, prefix: u8, used: &BTreeSet<IpAddr>) -> Option<IpAddr> {
    match network {
        IpAddr::V4(n) => {
            let base = u32::from(n);
            let hosts = 1u64 << (32 - u32::from(prefix));
            (2..hosts.saturating_sub(1))
                .map(|h| IpAddr::V4(Ipv4Addr::from(base + h as u32)))
                .find(|a| !used.contains(a))
        }
        IpAddr::V6(n) => {
            let host_bits = 128 - u32::from(prefix);
            let host_mask = if host_bits >= 128 {
                u128::MAX
            } else {
                (1u128 << host_bits) - 1
            };
            // A /64 has 2^64 hosts: a few random draws always find a free one.
            (0..64).find_map(|_| {
                let host = uuid::Uuid::new_v4().as_u128() & host_mask;
                let address = IpAddr::V6(Ipv6Addr::from(u128::from(n) | host));
                (host >= 2 && !used.contains(&address)).then_some(address)
            })
        }
    }
}

// ---- CIDR helpers and VPC queries shared by the VPC and IPAM APIs ----

/// A network in canonical notation (`172.16.4.0/22`, `fd5c:0:1:79b1::/64`).
pub(crate) fn cidr_text(network: IpAddr, prefix: u8) -> String {
    format!("{network}/{prefix}")
}

/// Whether `inner` lies inside `outer` (both parsed by [`parse_cidr`]).
pub(crate) fn cidr_contains(outer: (IpAddr, u8), inner: (IpAddr, u8)) -> bool {
    inner.1 >= outer.1 && host_part(outer.0, outer.1, inner.0).is_some()
}

/// Whether two networks share an address.
pub(crate) fn cidrs_overlap(a: (IpAddr, u8), b: (IpAddr, u8)) -> bool {
    cidr_contains(a, b) || cidr_contains(b, a)
}

impl Store {
    /// The subnets of every private network of a VPC: (subnet id, parsed network, text).
    pub fn vpc_subnets(&self, vpc_id: &str) -> Vec<(String, (IpAddr, u8), String)> {
        let mut pns: Vec<&PrivateNetwork> = self.pns.values().filter(|p| p.vpc_id == vpc_id).collect();
        pns.sort_by_key(|p| p.seq);
        pns.iter()
            .flat_map(|p| &p.subnets)
            .filter_map(|s| Some((s.id.clone(), parse_cidr(&s.subnet)?, s.subnet.clone())))
            .collect()
    }

    /// Books an address in the private network's first subnet of the family, or the one holding
    /// the address asked for.
    pub fn book_ipam(&mut self, booking: Booking) -> Result<String, BookingError> {
        self.book_ipam_in(booking, None)
    }

    /// Books an address in the subnet of the private network's family (IPv4 or IPv6) and returns
    /// its IPAM id.
    pub fn book_ipam_in(
        &mut self,
        booking: Booking,
        subnet_id: Option<&str>,
    ) -> Result<String, BookingError> {
        let pn = self
            .pns
            .get(&booking.private_network_id)
            .ok_or(BookingError::NoSubnet)?;
        let (subnet_id, network, prefix) =
            booking_subnet(pn, &booking, subnet_id).ok_or(BookingError::NoSubnet)?;
        let region = pn.region.clone();
        let used: BTreeSet<IpAddr> = self
            .ipam
            .values()
            .filter(|ip| ip.subnet_id == subnet_id)
            .map(|ip| ip.address)
            .collect();
        let address = match booking.address {
            Some(wanted) => {
                if !is_host_address(network, prefix, wanted) {
                    return Err(BookingError::NotInSubnet);
                }
                if used.contains(&wanted) {
                    return Err(BookingError::Taken);
                }
                wanted
            }
            None => free_address(network, prefix, &used).ok_or(BookingError::Exhausted)?,
        };
        let seq = self.next_seq();
        let now = api_time();
        let id = new_id();
        self.record(
            Created::new(
                CreatedKind::IpamIp,
                &id,
                &booking.project,
                &region,
                "",
                &booking.tags,
            )
            .network(&booking.private_network_id),
        );
        self.ipam.insert(
            id.clone(),
            IpamIp {
                id: id.clone(),
                seq,
                address,
                prefix,
                project: booking.project,
                region,
                private_network_id: booking.private_network_id,
                subnet_id,
                resource: booking.resource,
                tags: booking.tags,
                reverses: Vec::new(),
                created: now.clone(),
                updated: now,
            },
        );
        Ok(id)
    }

    /// Whether any IPAM address is booked in a subnet.
    pub fn subnet_in_use(&self, subnet_id: &str) -> bool {
        self.ipam.values().any(|ip| ip.subnet_id == subnet_id)
    }
}

/// The subnet an address is booked in: of the family asked for, the one named if any, else the
/// one holding the address asked for, else the first: (subnet id, network, prefix length).
fn booking_subnet(
    pn: &PrivateNetwork,
    booking: &Booking,
    subnet_id: Option<&str>,
) -> Option<(String, IpAddr, u8)> {
    let candidates: Vec<(String, IpAddr, u8)> = pn
        .subnets
        .iter()
        .filter(|s| subnet_id.is_none_or(|id| id == s.id))
        .filter_map(|s| {
            let (network, prefix) = parse_cidr(&s.subnet)?;
            (network.is_ipv6() == booking.is_ipv6).then(|| (s.id.clone(), network, prefix))
        })
        .collect();
    let holding = booking.address.and_then(|a| {
        candidates
            .iter()
            .find(|(_, network, prefix)| host_part(*network, *prefix, a).is_some())
    });
    holding.or(candidates.first()).cloned()
}
