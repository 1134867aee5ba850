"""What a failing control's evidence costs on a cluster with 500,000 open findings, in
SQLite alone (Python's sqlite3, no driver, no server): the findings table's columns that the
queries read and its indexes (`findings_cluster_status`, the partial
`findings_open_by_severity`), 31 failing rules (30 common ones and one with 500 findings),
and the queries `Store::compliance_evidence` sends: per rule, the first 10 findings most
severe first (open now, as the compliance page reads them, or open at a time, as a report's
period end does) and the counts (per rule, or the report's one grouped pass). Then the same
with an index on `(cluster_id, rule, id)`, which the schema does not have.

    python3 backend/benches/evidence_queries.py [DATABASE_FILE]

BENCHMARKS.md ("Compliance evidence on 500,000 findings") has the figures.
"""

import os
import sqlite3
import sys
import time

PATH = sys.argv[1] if len(sys.argv) > 1 else "/tmp/rampart-evidence-bench.db"
FINDINGS = 500_000
RULES = ["rule-%02d" % index for index in range(30)] + ["rare-rule"]
SEVERITIES = ["critical", "high", "medium", "low", "info"]
OPEN_AT = "f.first_seen <= ? AND (f.status = 'open' OR (f.status = 'resolved' AND f.resolved_at > ?))"
RANK = "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END"
AT = 2000

if os.path.exists(PATH):
    os.remove(PATH)
db = sqlite3.connect(PATH)
db.executescript(
    f"""
    CREATE TABLE findings (id INTEGER PRIMARY KEY, cluster_id INTEGER, rule TEXT, severity TEXT,
        status TEXT, kind TEXT, namespace TEXT, name TEXT, path TEXT, message TEXT,
        first_seen INTEGER, resolved_at INTEGER);
    CREATE INDEX findings_cluster_status ON findings (cluster_id, status, id);
    CREATE INDEX findings_open_by_severity ON findings (cluster_id, ({RANK}), id) WHERE status = 'open';
    """
)
db.executemany(
    "INSERT INTO findings VALUES (?, 1, ?, ?, 'open', 'Deployment', ?, ?, 'spec.x', 'a message', 1000, NULL)",
    (
        (n, RULES[n % 30] if n % 1000 else "rare-rule", SEVERITIES[n % 5], "ns-%d" % (n % 1000), "app-%d" % n)
        for n in range(1, FINDINGS + 1)
    ),
)
db.commit()

QUERIES = [
    ("lists, open now (the compliance page)",
     f"SELECT * FROM findings f WHERE f.cluster_id = 1 AND f.status = 'open' AND f.rule = ? ORDER BY {RANK}, f.id LIMIT 10",
     lambda rule: (rule,)),
    ("lists, open at the period's end (the report)",
     f"SELECT * FROM findings f WHERE f.cluster_id = 1 AND {OPEN_AT} AND f.rule = ? ORDER BY {RANK}, f.id LIMIT 10",
     lambda rule: (AT, AT, rule)),
    ("counts at the period's end, one per rule",
     f"SELECT COUNT(*) FROM findings f WHERE f.cluster_id = 1 AND {OPEN_AT} AND f.rule = ?",
     lambda rule: (AT, AT, rule)),
]
GROUPED = (
    f"SELECT f.rule, COUNT(*) FROM findings f WHERE f.cluster_id = 1 AND {OPEN_AT} "
    f"AND f.rule IN ({', '.join('?' * len(RULES))}) GROUP BY f.rule"
)


def measure(label):
    print(f"## {label} (SQLite {sqlite3.sqlite_version}, {FINDINGS} findings, {len(RULES)} rules)")
    for name, sql, args in QUERIES:
        started = time.perf_counter()
        for rule in RULES:
            db.execute(sql, args(rule)).fetchall()
        print(f"{name}: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    db.execute(GROUPED, (AT, AT, *RULES)).fetchall()
    print(f"counts at the period's end, one grouped pass: {time.perf_counter() - started:.2f} s")


measure("the schema's indexes")
db.execute("CREATE INDEX findings_rule ON findings (cluster_id, rule, id)")
db.commit()
measure("with (cluster_id, rule, id)")
db.close()
os.remove(PATH)
