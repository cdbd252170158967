//! The `settings` table: named JSON values (the names are in
//! [`crate::keys`]): the device's identity, sync cursor, roster view,
//! capabilities and the user's notification settings.

use super::{Durability, Store};
use crate::error::Result;
use crate::keys;
use klaxon_domain::notify::NotificationSettings;
use rusqlite::{params, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

impl Store {
    /// The JSON value stored under `name` in `settings`, if any.
    pub fn setting<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let json: Option<String> = self
            .conn()
            .prepare_cached("SELECT value FROM settings WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        json.map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(Into::into)
    }

    /// Stores `value` under `name` in `settings` (replacing any earlier one).
    pub fn set_setting<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
        durability: Durability,
    ) -> Result<()> {
        let json = serde_json::to_string(value)?;
        self.write(durability, |tx| {
            tx.prepare_cached(
                "INSERT INTO settings (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![name, json])?;
            Ok(())
        })
    }

    /// The user's notification settings (defaults until they change one).
    pub fn notification_settings(&self) -> Result<NotificationSettings> {
        Ok(self.setting(keys::NOTIFICATION)?.unwrap_or_default())
    }

    /// Saves the notification settings; a user's choice, so durably.
    pub fn set_notification_settings(&mut self, settings: &NotificationSettings) -> Result<()> {
        self.set_setting(keys::NOTIFICATION, settings, Durability::Full)
    }
}
