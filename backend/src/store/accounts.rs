//! Users, teams and their memberships, API tokens.
//!
//! Passwords are argon2id PHC strings; API tokens are 32 random bytes shown once and kept
//! only as their SHA-256 (a token has full entropy, so a slow hash adds nothing and would
//! slow every request).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use super::{now_millis, on_pool, Store};
use crate::secrets::random_hex;

/// How fresh a token's `last_used_at` is kept.
pub const LAST_USED_PRECISION_MILLIS: i64 = 60_000;

/// What a token starts with, so a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "rmp_";

/// A person who can log in or hold tokens.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub is_admin: bool,
}

/// A role in a team: viewers read, editors register and scan clusters, admins manage the
/// team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A team the user belongs to, with the user's role in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub team_id: i64,
    pub team: String,
    pub role: Role,
}

/// The argon2id hash of a password, as a PHC string.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 accepts any password").to_string()
}

/// The most memory a stored hash may ask of a check (its `m` parameter, in KiB).
const MAX_HASH_MEMORY_KIB: usize = 256 * 1024;

thread_local! {
    /// The memory this thread's checks hash in, kept from one check to the next: a fresh
    /// 19 MiB allocation per check leaves the allocator holding more and more of them.
    static HASH_MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether a password matches a stored PHC string (argon2id, or another argon2 variant of
/// at most 256 MiB), hashed in the calling thread's own kept memory.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Ok(algorithm), Ok(params)) =
        (argon2::Algorithm::try_from(parsed.algorithm), argon2::Params::try_from(&parsed))
    else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    if params.block_count() > MAX_HASH_MEMORY_KIB {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let hashed = HASH_MEMORY.with_borrow_mut(|blocks| {
        if blocks.len() < params.block_count() {
            blocks.resize(params.block_count(), argon2::Block::default());
        }
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut blocks[..],
        )
    });
    // Output's equality takes as long whatever the first difference.
    hashed.is_ok() && argon2::password_hash::Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// SHA-256 of a secret (token, session id), hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A user with their password hash, as a login reads them.
#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: User,
    password_hash: Option<String>,
}

impl Store {
    /// Creates a user, hashing the password here; a taken email is a unique violation. For
    /// the command line and tests: the server hashes on its bounded hashing threads and
    /// calls [`Store::create_user_with_hash`].
    pub async fn create_user(&self, email: &str, password: Option<&str>, is_admin: bool) -> Result<i64, sqlx::Error> {
        let hash = password.map(hash_password);
        self.create_user_with_hash(email, hash.as_deref(), is_admin).await
    }

    /// Creates a user with a password hash made by [`hash_password`] (or none).
    pub async fn create_user_with_hash(
        &self,
        email: &str,
        hash: Option<&str>,
        is_admin: bool,
    ) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO users (email, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(email)
            .bind(hash)
            .bind(is_admin)
            .bind(now)
            .fetch_one(pool)
            .await
        })
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, sqlx::Error> {
        on_pool!(self, |pool| {
            let row =
                sqlx::query_as::<_, (i64, String, bool)>("SELECT id, email, is_admin FROM users WHERE email = $1")
                    .bind(email)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(|(id, email, is_admin)| User { id, email, is_admin }))
        })
    }

    /// The user and their password hash, for a login.
    pub async fn user_login(&self, email: &str) -> Result<Option<(User, Option<String>)>, sqlx::Error> {
        on_pool!(self, |pool| {
            let row =
                sqlx::query_as::<_, LoginRow>("SELECT id, email, is_admin, password_hash FROM users WHERE email = $1")
                    .bind(email)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(|row| (row.user, row.password_hash)))
        })
    }

    /// The user's password hash; `None` when the account has no password (it uses tokens
    /// only) or does not exist.
    pub async fn password_hash(&self, user_id: i64) -> Result<Option<String>, sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, Option<String>>("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await
                .map(Option::flatten)
        })
    }

    /// Replaces the user's password hash (made by [`hash_password`]) and ends their
    /// sessions but the one whose cookie is `keep` (the browser that made the change);
    /// answers how many sessions ended. Both happen in one transaction, so no session
    /// outlives the old password.
    pub async fn change_password(&self, user_id: i64, hash: &str, keep: Option<&str>) -> Result<u64, sqlx::Error> {
        let keep = keep.map(secret_hash).unwrap_or_default();
        on_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id)
                .execute(&mut *transaction)
                .await?;
            let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user_id)
                .bind(&keep)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
            transaction.commit().await?;
            Ok(ended)
        })
    }

    /// Every user, with their teams (`(team id, team name, role)`), by email: what global
    /// admins manage.
    pub async fn list_users(&self) -> Result<Vec<(User, i64, Vec<(i64, String, String)>)>, sqlx::Error> {
        on_pool!(self, |pool| {
            let users = sqlx::query_as::<_, (i64, String, bool, i64)>(
                "SELECT id, email, is_admin, created_at FROM users ORDER BY email",
            )
            .fetch_all(pool)
            .await?;
            let memberships = sqlx::query_as::<_, (i64, i64, String, String)>(
                "SELECT m.user_id, t.id, t.name, m.role FROM memberships m JOIN teams t ON t.id = m.team_id \
                 ORDER BY t.name",
            )
            .fetch_all(pool)
            .await?;
            Ok(users
                .into_iter()
                .map(|(id, email, is_admin, created_at)| {
                    let teams = memberships
                        .iter()
                        .filter(|membership| membership.0 == id)
                        .map(|(_, team, name, role)| (*team, name.clone(), role.clone()))
                        .collect();
                    (User { id, email, is_admin }, created_at, teams)
                })
                .collect())
        })
    }

    pub async fn count_users(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(pool).await)
    }

    /// The team of that name, created when missing.
    pub async fn ensure_team(&self, name: &str) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO teams (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(now)
                .execute(pool)
                .await?;
            sqlx::query_scalar::<_, i64>("SELECT id FROM teams WHERE name = $1").bind(name).fetch_one(pool).await
        })
    }

    /// Creates a team; a taken name is a unique violation.
    pub async fn create_team(&self, name: &str) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(now)
                .fetch_one(pool)
                .await
        })
    }

    /// Makes the user a member of the team with that role (or changes their role).
    pub async fn set_membership(&self, team_id: i64, user_id: i64, role: Role) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO memberships (team_id, user_id, role) VALUES ($1, $2, $3) \
                 ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(team_id)
            .bind(user_id)
            .bind(role.as_str())
            .execute(pool)
            .await
            .map(drop)
        })
    }

    /// The teams of a user, by name.
    pub async fn memberships(&self, user_id: i64) -> Result<Vec<Membership>, sqlx::Error> {
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, (i64, String, String)>(
                "SELECT t.id, t.name, m.role FROM memberships m JOIN teams t ON t.id = m.team_id \
                 WHERE m.user_id = $1 ORDER BY t.name",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(team_id, team, role)| Membership {
                    team_id,
                    team,
                    role: Role::parse(&role).unwrap_or(Role::Viewer),
                })
                .collect())
        })
    }

    /// Creates an API token for the user and returns its id and the token itself, which
    /// is not stored and cannot be shown again.
    pub async fn create_token(&self, user_id: i64, name: &str) -> Result<(i64, String), sqlx::Error> {
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32));
        let hash = secret_hash(&token);
        let now = now_millis();
        let id = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(user_id)
            .bind(name)
            .bind(&hash)
            .bind(now)
            .fetch_one(pool)
            .await
        })?;
        Ok((id, token))
    }

    /// The user a token (not revoked) belongs to; records the token's use.
    pub async fn user_by_token(&self, token: &str) -> Result<Option<User>, sqlx::Error> {
        let hash = secret_hash(token);
        let now = now_millis();
        on_pool!(self, |pool| {
            let row = sqlx::query_as::<_, (i64, Option<i64>, i64, String, bool)>(
                "SELECT t.id, t.last_used_at, u.id, u.email, u.is_admin FROM api_tokens t \
                 JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?;
            let Some((token_id, last_used_at, id, email, is_admin)) = row else { return Ok(None) };
            // The last-used time is kept to the minute: a script's every request would
            // otherwise be a write, which on SQLite waits for the one writer.
            if last_used_at.is_none_or(|last| now - last >= LAST_USED_PRECISION_MILLIS) {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(token_id)
                    .execute(pool)
                    .await?;
            }
            Ok(Some(User { id, email, is_admin }))
        })
    }

    /// Revokes a token of the user; false when the user has no such token.
    pub async fn revoke_token(&self, user_id: i64, token_id: i64) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(token_id)
            .bind(user_id)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}

/// An API token as its owner lists it (never the token itself).
#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A member of a team.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
}

impl Store {
    /// The user's tokens, newest first.
    pub async fn list_tokens(&self, user_id: i64) -> Result<Vec<TokenInfo>, sqlx::Error> {
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, (i64, String, i64, Option<i64>, Option<i64>)>(
                "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 \
                 ORDER BY id DESC",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, name, created_at, last_used_at, revoked_at)| TokenInfo {
                    id,
                    name,
                    created_at,
                    last_used_at,
                    revoked_at,
                })
                .collect())
        })
    }

    /// The members of a team, by email.
    pub async fn list_members(&self, team_id: i64) -> Result<Vec<Member>, sqlx::Error> {
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, (i64, String, String)>(
                "SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.team_id = $1 ORDER BY u.email",
            )
            .bind(team_id)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(user_id, email, role)| Member {
                    user_id,
                    email,
                    role: Role::parse(&role).unwrap_or(Role::Viewer),
                })
                .collect())
        })
    }

    /// Removes a member from a team; false when they were not one.
    pub async fn remove_member(&self, team_id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM memberships WHERE team_id = $1 AND user_id = $2")
                .bind(team_id)
                .bind(user_id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}

/// A logged-in browser: the session's user and the token its writes must echo
/// (`X-CSRF-Token`).
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// How long a session lasts from login.
pub const SESSION_LIFETIME_MILLIS: i64 = 7 * 24 * 60 * 60 * 1000;

impl Store {
    /// Opens a session for the user and returns the cookie value (stored only as its
    /// SHA-256) and the session. Expired sessions of everyone are swept on the way.
    pub async fn create_session(&self, user: &User) -> Result<(String, Session), sqlx::Error> {
        let cookie = random_hex(32);
        let csrf_token = random_hex(32);
        let now = now_millis();
        let expires_at = now + SESSION_LIFETIME_MILLIS;
        let hash = secret_hash(&cookie);
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(pool).await?;
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&hash)
            .bind(user.id)
            .bind(&csrf_token)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok((cookie, Session { user: user.clone(), csrf_token, expires_at }))
    }

    /// The live session a cookie value names.
    pub async fn session(&self, cookie: &str) -> Result<Option<Session>, sqlx::Error> {
        let hash = secret_hash(cookie);
        let now = now_millis();
        on_pool!(self, |pool| {
            let row = sqlx::query_as::<_, (i64, String, bool, String, i64)>(
                "SELECT u.id, u.email, u.is_admin, s.csrf_token, s.expires_at FROM sessions s                  JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2",
            )
            .bind(&hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(id, email, is_admin, csrf_token, expires_at)| Session {
                user: User { id, email, is_admin },
                csrf_token,
                expires_at,
            }))
        })
    }

    /// Ends the session a cookie value names (logout).
    pub async fn delete_session(&self, cookie: &str) -> Result<(), sqlx::Error> {
        let hash = secret_hash(cookie);
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(&hash).execute(pool).await.map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("battery staple", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        // Hashes of other argon2 variants, versions and costs check as argon2 itself does.
        let salt = SaltString::generate(&mut OsRng);
        let params = argon2::Params::new(1024, 2, 1, None).unwrap();
        for (algorithm, version) in
            [(argon2::Algorithm::Argon2i, argon2::Version::V0x10), (argon2::Algorithm::Argon2d, argon2::Version::V0x13)]
        {
            let other = Argon2::new(algorithm, version, params.clone()).hash_password(b"correct horse", &salt).unwrap();
            assert!(verify_password("correct horse", &other.to_string()), "{other}");
            assert!(!verify_password("correct horsE", &other.to_string()));
        }
    }

    #[test]
    fn secret_hashes_are_sha256_hex() {
        assert_eq!(secret_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
