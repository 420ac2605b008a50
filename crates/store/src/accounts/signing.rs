//! The server's signing key and what it signs: pre-login form tokens and
//! known-device marks.
//!
//! The key is 32 random bytes in the `settings` table, created by whichever
//! process needs it first (`INSERT … ON CONFLICT DO NOTHING`, then read back), so
//! every process on the database signs and verifies alike. Signatures are
//! HMAC-SHA256 and are compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};

use crate::{Result, Store};

use super::{a, new_secret};

type HmacSha256 = Hmac<sha2::Sha256>;

const KEY_NAME: &str = "signing_key";

/// The server's HMAC key. Each use names its purpose, so a signature made for
/// one thing is never accepted for another.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

impl SigningKey {
    fn mac(&self, purpose: &str, message: &str) -> HmacSha256 {
        let mut m = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        m.update(purpose.as_bytes());
        m.update(&[0]);
        m.update(message.as_bytes());
        m
    }

    /// The signature of `message` for `purpose`, as hex.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        hex::encode(self.mac(purpose, message).finalize().into_bytes())
    }

    /// Whether `signature` (hex) is this key's signature of `message` for
    /// `purpose`; the comparison takes the same time wherever it differs.
    pub fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        match hex::decode(signature) {
            Ok(sig) => self.mac(purpose, message).verify_slice(&sig).is_ok(),
            Err(_) => false,
        }
    }

    /// A new token for pre-login forms (the double-submit cookie and field):
    /// a random nonce and its signature, `NONCE.SIGNATURE`.
    pub fn new_form_token(&self) -> String {
        let nonce = new_secret();
        let sig = self.sign("form", &nonce);
        format!("{nonce}.{sig}")
    }

    /// Whether a pre-login form token was issued by this server.
    pub fn form_token_valid(&self, token: &str) -> bool {
        match token.split_once('.') {
            Some((nonce, sig)) if nonce.len() == 64 => self.verify("form", nonce, sig),
            _ => false,
        }
    }

    /// A mark for a browser that has signed in to `user_id`: `USER.NONCE.SIGNATURE`.
    pub fn new_device_mark(&self, user_id: i64) -> String {
        let msg = format!("{user_id}.{}", new_secret());
        let sig = self.sign("device", &msg);
        format!("{msg}.{sig}")
    }

    /// Whether `mark` was issued by this server to a browser that signed in to `user_id`.
    pub fn device_mark_valid(&self, mark: &str, user_id: i64) -> bool {
        let Some((msg, sig)) = mark.rsplit_once('.') else {
            return false;
        };
        let owner = msg.split_once('.').map(|(u, _)| u);
        owner == Some(user_id.to_string().as_str()) && self.verify("device", msg, sig)
    }
}

impl Store {
    /// The server's signing key, created on first use and shared by every
    /// process on this database.
    pub async fn signing_key(&self) -> Result<SigningKey> {
        let read = Query::select()
            .column(a("value"))
            .from(a("settings"))
            .and_where(Expr::col(a("name")).eq(KEY_NAME))
            .to_owned();
        if let Some(row) = self.db.query_one(&read).await? {
            return key_of(row.try_get("", "value")?);
        }
        self.db
            .execute(
                &Query::insert()
                    .into_table(a("settings"))
                    .columns([a("name"), a("value"), a("created_at")])
                    .values_panic([KEY_NAME.into(), new_secret().into(), crate::now().into()])
                    .on_conflict(OnConflict::column(a("name")).do_nothing().to_owned())
                    .to_owned(),
            )
            .await?;
        // Whoever inserted first, everyone reads the same row.
        let row = self
            .db
            .query_one(&read)
            .await?
            .ok_or(crate::StoreError::NotFound)?;
        key_of(row.try_get("", "value")?)
    }
}

fn key_of(hex_value: String) -> Result<SigningKey> {
    hex::decode(hex_value.trim()).map(SigningKey).map_err(|_| {
        crate::StoreError::Database(sea_orm::DbErr::Custom(
            "the signing key in settings is not hex".into(),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_key_and_purpose() {
        let k = SigningKey(vec![7; 32]);
        let other = SigningKey(vec![8; 32]);
        let t = k.new_form_token();
        assert!(k.form_token_valid(&t));
        assert!(!other.form_token_valid(&t));
        assert!(!k.form_token_valid(&"a".repeat(64)));
        assert!(!k.form_token_valid(&format!("{}.{}", "a".repeat(64), "a".repeat(64))));
        let d = k.new_device_mark(42);
        assert!(k.device_mark_valid(&d, 42));
        assert!(!k.device_mark_valid(&d, 43));
        assert!(!other.device_mark_valid(&d, 42));
        // A form token is not a device mark and the other way round.
        assert!(!k.form_token_valid(&d));
        let (nonce, sig) = t.split_once('.').unwrap();
        assert!(!k.device_mark_valid(&format!("42.{nonce}.{sig}"), 42));
    }
}
