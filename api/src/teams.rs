//! `/teams`, their settings and their members.

use crate::api_type;

api_type! {
    /// A team: what `POST /teams` answers, and the team of a cluster.
    pub struct Team {
        pub id: i64,
        pub name: String,
    }

    /// A user's membership of a team: one of `GET /teams`, and of the `teams` of `GET /me`
    /// and `GET /users`.
    pub struct Membership {
        pub id: i64,
        pub name: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["viewer", "editor", "admin"])))]
        pub role: String,
    }

    /// The body of `POST /teams`.
    #[serde(deny_unknown_fields)]
    pub struct NewTeam {
        pub name: String,
    }

    /// `GET /teams/{id}` and `PATCH /teams/{id}`: the team with the user's role and its
    /// settings.
    pub struct TeamSettings {
        pub id: i64,
        pub name: String,
        pub role: String,
        /// Whether scans honour `rampart.dev/ignore` annotations; when false, only central
        /// exemptions exempt findings.
        pub honor_annotation_exemptions: bool,
    }

    /// The body of `PATCH /teams/{id}`: the settings to change (absent ones stay).
    #[serde(deny_unknown_fields)]
    pub struct TeamSettingsInput {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub honor_annotation_exemptions: Option<bool>,
    }

    /// One of `GET /teams/{id}/members`, and what `PUT /teams/{id}/members` answers.
    pub struct Member {
        pub user: i64,
        pub email: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["viewer", "editor", "admin"])))]
        pub role: String,
    }

    /// The body of `PUT /teams/{id}/members`: add the user with this email to the team, or
    /// change their role.
    #[serde(deny_unknown_fields)]
    pub struct MemberInput {
        pub email: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["viewer", "editor", "admin"])))]
        pub role: String,
    }
}
