//! Single sign-on's records: sign-ins under way (`oidc_logins`, each taken once by its
//! callback) and which user an identity of the provider is (`oidc_identities`).

use super::accounts::{Role, User};
use super::{now_millis, on_pool, Store};

/// A sign-in under way: what the callback must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
}

/// Who signed in, from a checked ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub groups: Vec<String>,
}

/// How long a sign-in may take between leaving for the provider and coming back.
pub const LOGIN_LIFETIME_MILLIS: i64 = 10 * 60 * 1000;

/// Why a provider's identity cannot become a user.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the identity provider gave no email for this account: ask for the 'email' scope")]
    NoEmail,
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

impl Store {
    /// Keeps a sign-in under way until its callback (and drops those left too long).
    pub async fn begin_oidc_login(&self, pending: &Pending, next: Option<&str>) -> Result<(), sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM oidc_logins WHERE created_at < $1")
                .bind(now - LOGIN_LIFETIME_MILLIS)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO oidc_logins (state, nonce, code_verifier, next, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&pending.state)
            .bind(&pending.nonce)
            .bind(&pending.code_verifier)
            .bind(next)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Takes the sign-in a state names, once: a second callback with the same state (a
    /// replay), or one after [`LOGIN_LIFETIME_MILLIS`], finds nothing.
    pub async fn take_oidc_login(&self, state: &str) -> Result<Option<(Pending, Option<String>)>, sqlx::Error> {
        let row: Option<(String, String, Option<String>, i64)> = on_pool!(self, |pool| {
            sqlx::query_as("DELETE FROM oidc_logins WHERE state = $1 RETURNING nonce, code_verifier, next, created_at")
                .bind(state)
                .fetch_optional(pool)
                .await
        })?;
        Ok(row
            .filter(|(_, _, _, created_at)| now_millis() - created_at <= LOGIN_LIFETIME_MILLIS)
            .map(|(nonce, code_verifier, next, _)| (Pending { state: state.to_string(), nonce, code_verifier }, next)))
    }

    /// The user an identity signs in as: the one it signed in as before; else the user with
    /// its email when the provider vouches for that email (`email_verified`); else a new
    /// user without a password.
    pub async fn oidc_user(&self, identity: &Identity) -> Result<User, IdentityError> {
        let known: Option<(i64, String, bool)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.email, u.is_admin FROM oidc_identities i JOIN users u ON u.id = i.user_id \
                 WHERE i.issuer = $1 AND i.subject = $2",
            )
            .bind(&identity.issuer)
            .bind(&identity.subject)
            .fetch_optional(pool)
            .await
        })?;
        if let Some((id, email, is_admin)) = known {
            return Ok(User { id, email, is_admin });
        }
        let email = identity.email.as_deref().map(str::trim).filter(|email| !email.is_empty());
        let email = email.ok_or(IdentityError::NoEmail)?;
        let existing = if identity.email_verified { self.user_by_email(email).await? } else { None };
        let user = match existing {
            Some(user) => user,
            None => {
                // An unverified email that another account holds cannot be taken over: the
                // new account gets a name of its own.
                let taken = self.user_by_email(email).await?.is_some();
                let email = if taken { format!("{email}#{}", identity.subject) } else { email.to_string() };
                let id = self.create_user(&email, None, false).await?;
                User { id, email, is_admin: false }
            }
        };
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO oidc_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&identity.issuer)
                .bind(&identity.subject)
                .bind(user.id)
                .bind(now_millis())
                .execute(pool)
                .await
                .map(drop)
        })?;
        Ok(user)
    }

    /// Applies the roles the provider's groups give: each team named gets the role, or loses
    /// the user when the groups give none there. Teams the mapping does not name are left as
    /// they are.
    pub async fn apply_team_roles(&self, user_id: i64, roles: &[(String, Option<Role>)]) -> Result<(), sqlx::Error> {
        for (team, role) in roles {
            let team_id = self.ensure_team(team).await?;
            match role {
                Some(role) => self.set_membership(team_id, user_id, *role).await?,
                None => {
                    self.remove_member(team_id, user_id).await?;
                }
            }
        }
        Ok(())
    }
}
