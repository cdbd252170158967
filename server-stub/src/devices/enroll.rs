//! Enrollment (`POST /v1/devices/enroll`, unsigned: the one-time code is
//! the credential) and push-token registration (`PUT /v1/devices/push-token`).

use super::AuthenticatedDevice;
use crate::body::JsonBody;
use crate::errors::ApiError;
use crate::store::Device;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use klaxon_domain::wire::{EnrollRequest, EnrollResponse, PushPlatform, PushTokenRequest};
use std::sync::Arc;

/// Longest push token accepted, in bytes (APNs tokens are 64 hex
/// characters, FCM registration tokens a few hundred, all ASCII).
const MAX_TOKEN: usize = 4096;

/// A base64url 32-byte public key from the enrollment body, or a 400
/// naming `field`.
fn key(field: &str, text: &str) -> Result<[u8; 32], ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| ApiError::invalid(format!("{field}: not base64url")))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| ApiError::invalid(format!("{field}: must be 32 bytes, got {}", bytes.len())))
}

/// `POST /v1/devices/enroll`.
pub async fn enroll(
    State(state): State<Arc<AppState>>,
    JsonBody(req): JsonBody<EnrollRequest>,
) -> Result<(StatusCode, Json<EnrollResponse>), ApiError> {
    let signing_key = key("signing_key", &req.signing_key)?;
    let sealing_key = key("sealing_key", &req.sealing_key)?;
    if req.name.chars().count() > 200 {
        return Err(ApiError::invalid("name: longer than 200 characters"));
    }
    // One signing key, one device: a signature names its device, and a key
    // enrolled twice would make it answerable for both. Checked before the
    // code is used, so the person can enroll again with a fresh key.
    if state
        .store
        .device_with_signing_key(signing_key)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(
            "signing_key: already enrolled for another device; generate a new identity".into(),
        ));
    }
    let device = Device {
        id: uuid::Uuid::new_v4().simple().to_string(),
        person: String::new(),
        name: req.name,
        signing_key,
        sealing_key,
        push_platform: None,
        push_token: None,
    };
    match state
        .store
        .enroll(req.code.trim().to_string(), device, state.clock.now())
        .await?
    {
        Some(device) => {
            tracing::info!(device = %device.id, person = %device.person, "device enrolled");
            Ok((
                StatusCode::CREATED,
                Json(EnrollResponse {
                    device_id: device.id,
                    person: device.person,
                }),
            ))
        }
        None => Err(ApiError::Unauthorized(
            "code: unknown, already used or expired; ask for a new invite".into(),
        )),
    }
}

/// `PUT /v1/devices/push-token`.
pub async fn push_token(
    State(state): State<Arc<AppState>>,
    Extension(AuthenticatedDevice(device)): Extension<AuthenticatedDevice>,
    JsonBody(req): JsonBody<PushTokenRequest>,
) -> Result<StatusCode, ApiError> {
    let push = match (req.platform, req.token) {
        (PushPlatform::None, _) => None,
        (platform, Some(token)) if !token.is_empty() && token.len() <= MAX_TOKEN => {
            Some((platform, token))
        }
        (_, _) => {
            return Err(ApiError::invalid(format!(
                "token: required for apns and fcm, at most {MAX_TOKEN} bytes"
            )))
        }
    };
    state.store.set_push_token(device.id, push).await?;
    Ok(StatusCode::NO_CONTENT)
}
