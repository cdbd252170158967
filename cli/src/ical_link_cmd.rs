//! `klaxon ical-link --relay URL --person P`: makes a secret calendar link
//! on the relay (KLAXON_ADMIN_TOKEN) and prints its URL. Google Calendar or
//! Outlook subscribe to it and see the person's shifts on the live roster,
//! live overrides included. Whoever has the URL sees those shifts; the
//! relay keeps only a hash of its token.

use crate::outcome::{BadInput, Report};
use crate::override_cmd::admin_call;
use crate::relay_client::RelayUrl;
use clap::Args;
use klaxon_relay::ical_links::IcalLink;
use serde_json::json;

/// `klaxon ical-link` arguments.
#[derive(Debug, Args)]
pub struct IcalLinkArgs {
    /// The relay's base URL (as calendars will reach it).
    #[arg(long, value_name = "URL")]
    relay: String,
    /// Whose shifts the calendar shows.
    #[arg(long, value_name = "ID")]
    person: String,
}

/// Creates the link and prints its URL.
pub fn run(args: IcalLinkArgs) -> Result<Report, BadInput> {
    let relay = RelayUrl::parse(&args.relay)?;
    let link: IcalLink = admin_call(
        &relay,
        reqwest::Method::POST,
        "/v1/admin/ical-links",
        &[],
        Some(json!({"person": args.person})),
    )?;
    Ok(Report::output(format!("{}\n", relay.join(&link.path))))
}
