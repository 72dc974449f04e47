//! Zones, regions and byte sizes.

use scaleway_client::{ByteSize, LocalityError, Region, UnitError, Zone};

#[test]
fn every_known_zone_parses_and_belongs_to_its_region() {
    let names = [
        "fr-par-1", "fr-par-2", "fr-par-3", "nl-ams-1", "nl-ams-2", "nl-ams-3", "pl-waw-1", "pl-waw-2",
        "pl-waw-3", "it-mil-1",
    ];
    assert_eq!(Zone::KNOWN.len(), names.len());
    for name in names {
        let zone: Zone = name.parse().unwrap();
        assert_eq!(zone.as_str(), name);
        assert_eq!(zone.to_string(), name);
        assert!(zone.is_known());
        assert_eq!(zone.region().as_str(), &name[..name.len() - 2]);
        assert!(zone.region().is_known());
        assert!(zone.region().zones().contains(&zone));
    }
    assert_eq!(Region::KNOWN.len(), 4);
    assert_eq!(Region::IT_MIL.zones(), vec![Zone::IT_MIL_1]);
    assert_eq!(Region::FR_PAR.zones().len(), 3);
}

#[test]
fn legacy_names_are_accepted() {
    assert_eq!("par1".parse::<Zone>().unwrap(), Zone::FR_PAR_1);
    assert_eq!("ams1".parse::<Zone>().unwrap(), Zone::NL_AMS_1);
    assert_eq!("par1".parse::<Region>().unwrap(), Region::FR_PAR);
    assert_eq!("ams1".parse::<Region>().unwrap(), Region::NL_AMS);
}

#[test]
fn an_unknown_zone_is_refused_with_the_valid_ones_listed() {
    let err = "fr-par-4".parse::<Zone>().unwrap_err();
    assert_eq!(
        err,
        LocalityError::UnknownZone {
            given: "fr-par-4".into()
        }
    );
    let message = err.to_string();
    assert!(message.contains("fr-par-4"), "{message}");
    for zone in Zone::KNOWN {
        assert!(message.contains(zone.as_str()), "{message}");
    }
    let err = "us-east".parse::<Region>().unwrap_err();
    assert!(
        err.to_string().contains("fr-par, nl-ams, pl-waw, it-mil"),
        "{err}"
    );
    assert!("".parse::<Zone>().is_err());
    assert!("FR-PAR-1".parse::<Zone>().is_err(), "names are lower case");
}

#[test]
fn a_zone_this_version_does_not_know_can_still_be_named() {
    let zone = Zone::new_unchecked("de-fra-1").unwrap();
    assert!(!zone.is_known());
    assert_eq!(zone.region(), Region::new_unchecked("de-fra").unwrap());
    assert!(Zone::new_unchecked("de-fra").is_err(), "a zone needs its number");
    assert!(Zone::new_unchecked("de fra 1").is_err());
    assert!(Region::new_unchecked("de-fra-1").is_err());
    assert!(matches!(
        Zone::new_unchecked("x/y-1"),
        Err(LocalityError::Malformed { kind: "zone", .. })
    ));
}

#[test]
fn zones_and_regions_go_through_serde_as_strings() {
    assert_eq!(serde_json::to_string(&Zone::PL_WAW_2).unwrap(), "\"pl-waw-2\"");
    assert_eq!(
        serde_json::from_str::<Zone>("\"nl-ams-3\"").unwrap(),
        Zone::NL_AMS_3
    );
    assert_eq!(
        serde_json::from_str::<Region>("\"it-mil\"").unwrap(),
        Region::IT_MIL
    );
    let err = serde_json::from_str::<Zone>("\"xx-yyy-1\"").unwrap_err();
    assert!(err.to_string().contains("unknown zone"), "{err}");
}

#[test]
fn sizes_are_si_gigabytes() {
    let ten = ByteSize::from_gb(10).unwrap();
    assert_eq!(ten.bytes(), 10_000_000_000);
    assert_eq!(ten.whole_gb(), 10);
    assert_eq!(ten.gb_exact(), Some(10));
    assert_eq!(ten.to_string(), "10 GB");
    assert_eq!(u64::from(ten), 10_000_000_000);

    // 10 GiB is not a whole number of GB.
    let gib = ByteSize::from_bytes(10 * 1024 * 1024 * 1024);
    assert_eq!(gib.gb_exact(), None);
    assert_eq!(gib.whole_gb(), 10);
    assert!((gib.gb_f64() - 10.737_418_24).abs() < 1e-9);
    assert_eq!(gib.to_string(), "10737418240 B");
    assert_eq!(ByteSize::ZERO.to_string(), "0 B");
}

#[test]
fn conversions_are_overflow_checked() {
    let max_gb = u64::MAX / 1_000_000_000;
    assert_eq!(ByteSize::from_gb(max_gb).unwrap().whole_gb(), max_gb);
    assert_eq!(
        ByteSize::from_gb(max_gb + 1),
        Err(UnitError::Overflow {
            value: max_gb + 1,
            unit: "GB"
        })
    );
    assert!(
        ByteSize::from_gb(u64::MAX)
            .unwrap_err()
            .to_string()
            .contains("too large")
    );
    assert_eq!(ByteSize::from_bytes(u64::MAX).whole_gb(), max_gb);
    assert_eq!(serde_json::to_string(&ten_gb()).unwrap(), "10000000000");
    assert_eq!(
        serde_json::from_str::<ByteSize>("20000000000").unwrap(),
        ByteSize::from_gb(20).unwrap()
    );
}

fn ten_gb() -> ByteSize {
    ByteSize::from_gb(10).unwrap()
}
