-- What teams work with: compliance views and single sign-on. Kept statement for statement
-- in step with the other backend's 0015_teams.sql.

-- What each scan judged, for the compliance views: the rules that applied to at least one
-- object and the rules with findings that are not exempted (with how many), as JSON
-- ({"applied": [...], "failed": {"rule": n}}). NULL for scans recorded before: their
-- controls read "not assessed".
ALTER TABLE scans ADD COLUMN rule_results TEXT;

-- Sign-ins through the OIDC provider under way: the state sent to the provider, with the
-- nonce and PKCE verifier its answer must match and the page to return to. The callback
-- takes (deletes) the row its state names, so a replayed state finds nothing.
CREATE TABLE oidc_logins (
    state TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    next TEXT,
    created_at BIGINT NOT NULL
);

-- Which user an identity of the provider (issuer and subject, stable across email changes)
-- signs in as.
CREATE TABLE oidc_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
