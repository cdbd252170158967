//! `klaxon invite --relay URL --person ID`: asks the relay for a one-time
//! enrollment code and prints it alone on stdout (scripts capture it).

use crate::outcome::{BadInput, Report};
use crate::relay_client::{admin_token, client, refusal, runtime, unreachable, RelayUrl};
use clap::Args;
use serde_json::json;

/// `klaxon invite` arguments.
#[derive(Debug, Args)]
pub struct InviteArgs {
    /// The relay's base URL.
    #[arg(long, value_name = "URL")]
    relay: String,
    /// The person the device will belong to.
    #[arg(long, value_name = "ID")]
    person: String,
}

/// Creates the invite.
pub fn run(args: InviteArgs) -> Result<Report, BadInput> {
    let relay = RelayUrl::parse(&args.relay)?;
    let token = admin_token()?;
    let client = client()?;
    runtime()?.block_on(async {
        let response = client
            .post(relay.join("/v1/admin/invites"))
            .bearer_auth(token)
            .json(&json!({ "person": args.person }))
            .send()
            .await
            .map_err(|e| unreachable(&relay, e))?;
        if !response.status().is_success() {
            return Err(refusal(&relay, response).await);
        }
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| BadInput::new(format!("the relay's answer is not JSON: {e}")))?;
        match body.get("code").and_then(|c| c.as_str()) {
            Some(code) => Ok(Report::output(format!("{code}\n"))),
            None => Err(BadInput::new("the relay's answer has no code")),
        }
    })
}
