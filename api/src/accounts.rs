//! Accounts: `GET /auth/methods`, `POST /setup`, `/session`, `/me`, `/users` and `/tokens`.

use crate::api_type;
use crate::teams::Membership;

api_type! {
    /// `GET /auth/methods`: how people sign in here.
    #[derive(Copy)]
    pub struct AuthMethods {
        pub password: bool,
        /// Single sign-on through the server's OIDC provider.
        pub oidc: bool,
    }

    /// The body of `POST /setup`: the one-time token `rampart serve` printed, and the first
    /// admin's account.
    #[serde(deny_unknown_fields)]
    pub struct Setup {
        pub token: String,
        pub email: String,
        pub password: String,
    }

    /// The body of `POST /session`.
    #[serde(deny_unknown_fields)]
    pub struct Login {
        pub email: String,
        pub password: String,
    }

    /// The body of `POST /me/password`.
    #[serde(deny_unknown_fields)]
    pub struct PasswordChange {
        pub current_password: String,
        pub new_password: String,
    }

    /// A user: what `POST /setup` and `POST /users` answer.
    pub struct User {
        pub id: i64,
        pub email: String,
        /// A global admin.
        pub admin: bool,
    }

    /// One of `GET /users`: a user with their teams.
    pub struct UserWithTeams {
        pub id: i64,
        pub email: String,
        pub admin: bool,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
        pub teams: Vec<Membership>,
    }

    /// The body of `POST /users`: a user without a password signs in with API tokens or
    /// single sign-on only.
    #[serde(deny_unknown_fields)]
    pub struct NewUser {
        pub email: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub password: Option<String>,
        /// A global admin (default false).
        #[serde(default)]
        pub admin: bool,
        /// A team to join (created when missing), with `role` (default editor).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub team: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["viewer", "editor", "admin"])))]
        pub role: Option<String>,
    }

    /// `POST /session`: the session cookie is set; writes with it carry `csrf_token` in
    /// `X-CSRF-Token`.
    pub struct Session {
        pub user: User,
        pub csrf_token: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub expires_at: String,
    }

    /// `GET /me`: the user logged in, their teams, and the session's CSRF token (null when
    /// the request carries a token instead of a session).
    pub struct Me {
        pub id: i64,
        pub email: String,
        pub admin: bool,
        pub teams: Vec<Membership>,
        pub csrf_token: Option<String>,
    }

    /// `GET /session`: `{"authenticated": false}` alone when nobody is logged in, else
    /// `authenticated` true with what `GET /me` answers.
    pub struct SessionState {
        pub authenticated: bool,
        #[serde(flatten)]
        pub me: Option<Me>,
    }

    /// One of `GET /tokens`: an API token, never its value.
    pub struct Token {
        pub id: i64,
        pub name: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub last_used_at: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub revoked_at: Option<String>,
    }

    /// The body of `POST /tokens`.
    #[serde(deny_unknown_fields)]
    pub struct NewToken {
        pub name: String,
    }

    /// `POST /tokens`: the token's value, shown only in this answer.
    pub struct CreatedToken {
        pub id: i64,
        pub name: String,
        pub token: String,
    }
}

impl Me {
    /// The teams in which the user may register clusters.
    pub fn editor_teams(&self) -> Vec<&Membership> {
        self.teams.iter().filter(|team| team.role == "editor" || team.role == "admin").collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_state_is_the_user_flattened_or_nothing() {
        let nobody = SessionState { authenticated: false, me: None };
        assert_eq!(serde_json::to_string(&nobody).unwrap(), r#"{"authenticated":false}"#);
        let me = Me { id: 1, email: "ana@example.test".into(), admin: false, teams: Vec::new(), csrf_token: None };
        let state = SessionState { authenticated: true, me: Some(me) };
        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(
            text,
            r#"{"authenticated":true,"id":1,"email":"ana@example.test","admin":false,"teams":[],"csrf_token":null}"#
        );
        assert_eq!(serde_json::from_str::<SessionState>(&text).unwrap(), state);
        assert_eq!(serde_json::from_str::<SessionState>(r#"{"authenticated":false}"#).unwrap(), nobody);
    }

    #[test]
    fn a_new_users_admin_flag_defaults_to_false() {
        let user: NewUser = serde_json::from_str(r#"{"email": "bo@example.test"}"#).unwrap();
        assert!(!user.admin && user.password.is_none() && user.role.is_none());
        assert!(serde_json::from_str::<NewUser>(r#"{"email": "bo@example.test", "admin": null}"#).is_err());
    }
}
