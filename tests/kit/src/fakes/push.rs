//! What the relay's APNs and FCM client tests share: a fake, the client
//! under test pointed at it and the device pages are sealed to, in one
//! [`Setup`]; the page message they send; the variable lookup and key
//! file the gateway reads its configuration from; and registering a
//! device's push token with a relay.

use super::apns::FakeApns;
use super::fcm::FakeFcm;
use crate::relay::TestDevice;
use klaxon_crypto::{seal, DeviceIdentity};
use klaxon_domain::{Clock, ManualClock, Priority};
use klaxon_relay::push::{
    ApnsClient, FcmClient, PushGateway, PushMessage, PushOutcome, PushTarget,
};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

/// The alert id (and collapse id) of every page these tests send.
pub const ALERT: &str = "01JALERT";

/// A relay push client under test, so [`Setup`] can drive either.
pub trait Client {
    /// The client's own `send`: `message` to the device `token`.
    fn send_to(&self, token: &str, message: &PushMessage) -> impl Future<Output = PushOutcome>;
}

impl Client for ApnsClient {
    fn send_to(&self, token: &str, message: &PushMessage) -> impl Future<Output = PushOutcome> {
        self.send(token, message)
    }
}

impl Client for FcmClient {
    fn send_to(&self, token: &str, message: &PushMessage) -> impl Future<Output = PushOutcome> {
        self.send(token, message)
    }
}

/// A fake push gateway, so [`Setup`] can show what it refused.
pub trait Fake {
    /// The rules the fake saw broken, in order.
    fn violations(&self) -> Vec<String>;
}

impl Fake for FakeApns {
    fn violations(&self) -> Vec<String> {
        FakeApns::violations(self)
    }
}

impl Fake for FakeFcm {
    fn violations(&self) -> Vec<String> {
        FakeFcm::violations(self)
    }
}

/// A fake gateway, the client under test pointed at it, the clock they
/// share, the device token pages go to and the device whose key seals them.
pub struct Setup<F, C> {
    /// The fake gateway.
    pub fake: F,
    /// The relay's client, pointed at the fake.
    pub client: C,
    /// The clock the fake and the client share.
    pub clock: Arc<ManualClock>,
    /// The push token [`Setup::send`] sends to.
    pub token: &'static str,
    /// The phone whose sealing key pages are sealed to.
    pub device: DeviceIdentity,
}

impl<F: Fake, C: Client> Setup<F, C> {
    /// A setup with a freshly generated device.
    pub fn new(fake: F, client: C, clock: Arc<ManualClock>, token: &'static str) -> Self {
        let device = DeviceIdentity::generate().unwrap();
        Setup {
            fake,
            client,
            clock,
            token,
            device,
        }
    }

    /// A page of `priority` whose sealed part is `plaintext`, for the device.
    pub fn message(&self, priority: Priority, plaintext: &[u8]) -> PushMessage {
        message(&self.device, priority, plaintext)
    }

    /// Sends `message` to the setup's token.
    pub async fn send(&self, message: &PushMessage) -> PushOutcome {
        self.client.send_to(self.token, message).await
    }

    /// Sends a page of `priority` sealing `plaintext` and asserts the fake
    /// accepted it, naming the rules it saw broken if not.
    pub async fn deliver(&self, priority: Priority, plaintext: &[u8]) {
        let outcome = self.send(&self.message(priority, plaintext)).await;
        assert_eq!(
            outcome,
            PushOutcome::Delivered,
            "{:?}",
            self.fake.violations()
        );
    }

    /// [`Setup::deliver`], and asserts the fake saw no rule broken at all.
    pub async fn deliver_cleanly(&self, priority: Priority, plaintext: &[u8]) {
        self.deliver(priority, plaintext).await;
        assert!(self.fake.violations().is_empty());
    }

    /// Now on the shared clock, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }
}

/// A page for alert [`ALERT`] of `priority` with `plaintext` sealed to
/// `device`, as the relay's dispatcher hands it to a push client.
pub fn message(device: &DeviceIdentity, priority: Priority, plaintext: &[u8]) -> PushMessage {
    PushMessage {
        alert: ALERT.into(),
        collapse_id: ALERT.into(),
        priority,
        status_update: false,
        sealed: seal(&device.sealing_public_key(), plaintext).unwrap(),
    }
}

/// Sends a page of `priority` through `gateway` to `target`, sealed to a
/// fresh device; the outcome.
pub async fn send_through(
    gateway: &PushGateway,
    target: &PushTarget,
    priority: Priority,
) -> PushOutcome {
    let device = DeviceIdentity::generate().unwrap();
    gateway
        .send(target, &message(&device, priority, b"page"))
        .await
}

/// [`send_through`], asserting the page was delivered.
pub async fn assert_delivers(gateway: &PushGateway, target: &PushTarget, priority: Priority) {
    let outcome = send_through(gateway, target, priority).await;
    assert_eq!(outcome, PushOutcome::Delivered, "{target:?}");
}

/// Registers `device`'s push `token` on `platform` ("apns", "fcm") with the
/// relay at `base`, which must answer 204: from then on the relay pushes the
/// device's pages there.
pub async fn register_token(base: &str, device: &TestDevice, platform: &str, token: &str) {
    let body = serde_json::json!({"platform": platform, "token": token});
    let (status, answer) = device
        .send(base, "PUT", "/v1/devices/push-token", Some(&body))
        .await;
    assert_eq!(status, 204, "{answer}");
}

/// An environment lookup that knows `vars` and nothing else, for
/// `PushGateway::from_lookup`.
pub fn lookup(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
}

/// Writes `contents` to the file `name` in `dir` (a key or service-account
/// file the gateway is configured with); its path.
pub fn key_file(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().to_string()
}
