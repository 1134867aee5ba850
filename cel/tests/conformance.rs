//! Conformance cases: CEL's language definition (cel-spec's simple tests: literals,
//! arithmetic, comparisons, logic, macros, conversions, strings), cel-go's extension
//! libraries as Kubernetes enables them, and the examples of Kubernetes' CEL documentation
//! (lists, regex, URLs, quantities, IPs, CIDRs). Each `true` case must evaluate to `true`;
//! each error case must fail with a message containing the given text.

use rampart_cel::{Activation, Env, Program, Value, DEFAULT_COST_LIMIT};

fn env() -> Env {
    Env { globals: vec!["self".into(), "names".into()], variables: Vec::new(), unsupported: Vec::new() }
}

fn globals() -> Vec<Value> {
    let map = Value::map(vec![
        (Value::from("list1"), Value::from(vec![Value::Int(1)])),
        (Value::from("list2"), Value::from(Vec::<Value>::new())),
        (Value::from("stateCounts"), Value::map(vec![(Value::from("Available"), Value::Int(3))])),
        (Value::from("health"), Value::from("ok: fine")),
        (Value::from("minReplicas"), Value::Int(1)),
        (Value::from("replicas"), Value::Int(3)),
        (Value::from("maxReplicas"), Value::Int(5)),
        (Value::from("x-prop"), Value::Int(7)),
        (Value::from("namespace"), Value::from("prod")),
    ]);
    let names = Value::from(vec![Value::from("a"), Value::from("b"), Value::from("c")]);
    vec![map, names]
}

fn eval(text: &str) -> Result<Value, String> {
    let program = Program::compile(text, &env())
        .map_err(|error| format!("compile: {} at {:?}", error.message, error.position(text)))?;
    let globals = globals();
    let activation = Activation::new(&globals, &[], DEFAULT_COST_LIMIT);
    program.eval(&activation).map_err(|error| error.message)
}

const TRUE: &[&str] = &[
    // Literals and arithmetic.
    "1 + 2 == 3",
    "-9223372036854775808 < 0",
    "0x10 == 16",
    "7u / 2u == 3u",
    "7 % 3 == 1",
    "-7 / 2 == -3",
    "2.5 * 2.0 == 5.0",
    "1e3 == 1000.0",
    ".5 == 0.5",
    "'a' + 'b' == 'ab'",
    "b'ab' + b'c' == b'abc'",
    "[1, 2] + [3] == [1, 2, 3]",
    "'\\x41\\u00e9\\101' == 'Aé' + 'A'",
    "r'\\n' == '\\\\n'",
    "'''multi\nline''' == 'multi\\nline'",
    "\"double\" == 'double'",
    // Heterogeneous equality and ordering.
    "1 == 1u",
    "1 == 1.0",
    "1u < 2.5",
    "-1 < 1u",
    "[1, 2] == [1.0, 2u]",
    "{'a': 1} == {'a': 1.0}",
    "1 != 'one'",
    "null == null",
    "!(double('NaN') == double('NaN'))",
    "'abc' < 'abd'",
    "b'a' < b'b'",
    "false < true",
    // Logic, commutative over errors.
    "true || (1 / 0 == 1)",
    "(1 / 0 == 1) || true",
    "!(false && (1 / 0 == 1))",
    "!((1 / 0 == 1) && false)",
    "true ? true : 1 / 0 == 1",
    // Membership, size, types.
    "2 in [1, 2, 3]",
    "'a' in {'a': 1}",
    "!('z' in {'a': 1})",
    "size('héllo') == 5",
    "'héllo'.size() == 5",
    "size(b'abc') == 3",
    "size([1, 2]) == 2",
    "size({'a': 1}) == 1",
    "type(1) == int",
    "type('a') == string",
    "type([]) == list",
    "type({}) == map",
    "type(null) == null_type",
    "type(1u) == uint && type(1.0) == double && type(true) == bool",
    "type(type(1)) == type",
    // Conversions.
    "int('42') == 42",
    "int(3.9) == 3",
    "int(-3.9) == -3",
    "uint(42) == 42u",
    "double(2) == 2.0",
    "string(42) == '42'",
    "string(1.5) == '1.5'",
    "string(true) == 'true'",
    "string(b'abc') == 'abc'",
    "bytes('abc') == b'abc'",
    "bool('true') && !bool('false')",
    "dyn(1) == 1",
    "duration('1h30m') == duration('90m')",
    "duration('1.5s') == duration('1500ms')",
    "string(duration('90s')) == '90s'",
    "timestamp('2024-01-02T03:04:05Z') + duration('1h') == timestamp('2024-01-02T04:04:05Z')",
    "timestamp('2024-01-02T03:04:05+01:00') == timestamp('2024-01-02T02:04:05Z')",
    "timestamp('2024-03-01T00:00:00Z') - timestamp('2024-02-28T00:00:00Z') == duration('48h')",
    "timestamp('2024-01-02T03:04:05Z').getFullYear() == 2024",
    "timestamp('2024-01-02T03:04:05Z').getMonth() == 0",
    "timestamp('2024-01-02T03:04:05Z').getDayOfMonth() == 1",
    "timestamp('2024-01-02T03:04:05Z').getDate() == 2",
    "timestamp('2024-01-02T03:04:05Z').getDayOfWeek() == 2",
    "timestamp('2024-01-02T03:04:05Z').getHours() == 3",
    "string(timestamp('2024-01-02T03:04:05.5Z')) == '2024-01-02T03:04:05.5Z'",
    // Macros.
    "[1, 2, 3].all(x, x > 0)",
    "[1, 2, 3].exists(x, x == 2)",
    "[1, 2, 3].exists_one(x, x > 2)",
    "![1, 2, 3].exists_one(x, x > 1)",
    "[1, 2, 3].map(x, x * 2) == [2, 4, 6]",
    "[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]",
    "[1, 2, 3].filter(x, x % 2 == 1) == [1, 3]",
    "{'a': 1, 'b': 2}.all(k, k in ['a', 'b'])",
    "{'a': 1, 'b': 2}.map(k, k) == ['a', 'b']",
    "[1, 2].all(i, v, v == i + 1)",
    "{'a': 'a'}.exists(k, v, k == v)",
    "[].all(x, false)",
    "![].exists(x, true)",
    "[0, 1].exists(x, 1 / x == 1)",
    "has(self.health)",
    "!has(self.missing)",
    "cel.bind(x, 3, x * x) == 9",
    // Field access on dynamic objects.
    "self.minReplicas <= self.replicas && self.replicas <= self.maxReplicas",
    "'Available' in self.stateCounts",
    "(self.list1.size() == 0) != (self.list2.size() == 0)",
    "self.health.startsWith('ok')",
    "self['replicas'] == 3",
    "self.namespace == 'prod'",
    "self.x__dash__prop == 7",
    // Strings (cel-go ext.Strings, as Kubernetes enables it).
    "'hello'.charAt(1) == 'e'",
    "'hello'.charAt(5) == ''",
    "'hello mellow'.indexOf('') == 0",
    "'hello mellow'.indexOf('ello') == 1",
    "'hello mellow'.indexOf('jello') == -1",
    "'hello mellow'.indexOf('', 2) == 2",
    "'hello mellow'.indexOf('ello', 2) == 7",
    "'hello mellow'.lastIndexOf('') == 12",
    "'hello mellow'.lastIndexOf('ello') == 7",
    "'hello mellow'.lastIndexOf('ello', 6) == 1",
    "'hello mellow'.lastIndexOf('jello') == -1",
    "'TacoCat'.lowerAscii() == 'tacocat'",
    "'TacoCÆt'.lowerAscii() == 'tacocÆt'",
    "'TacoCat'.upperAscii() == 'TACOCAT'",
    "'hello hello'.replace('he', 'we') == 'wello wello'",
    "'hello hello'.replace('he', 'we', 1) == 'wello hello'",
    "'hello hello'.replace('he', 'we', 0) == 'hello hello'",
    "'hello hello'.split(' ') == ['hello', 'hello']",
    "'hello hello hello'.split(' ', 2) == ['hello', 'hello hello']",
    "'hello hello'.split(' ', 0) == []",
    "'hello hello'.split(' ', 1) == ['hello hello']",
    "'tacocat'.substring(4) == 'cat'",
    "'tacocat'.substring(0, 4) == 'taco'",
    "'  \\ttrim\\n '.trim() == 'trim'",
    "['hello', 'mellow'].join() == 'hellomellow'",
    "['hello', 'mellow'].join(' ') == 'hello mellow'",
    "[].join('/') == ''",
    "strings.quote('first\\nsecond') == '\"first\\\\nsecond\"'",
    "'gums'.reverse() == 'smug'",
    "'%s is %d years old'.format(['Ann', 30]) == 'Ann is 30 years old'",
    "'%.2f'.format([3.14159]) == '3.14'",
    "'%x %X %o %b'.format([255, 255, 8, 5]) == 'ff FF 10 101'",
    "'%s'.format([[1, 'a']]) == '[1, a]'",
    "'100%%'.format([]) == '100%'",
    "'%e'.format([1234.5678]) == '1.234568e+03'",
    // Lists (Kubernetes' list library and cel-go's ext.Lists).
    "names.isSorted()",
    "![3, 1].isSorted()",
    "[1, 2, 3].sum() == 6",
    "[1.5, 2.5].sum() == 4.0",
    "[].sum() == 0",
    "[3, 1, 2].min() == 1",
    "[3, 1, 2].max() == 3",
    "names.indexOf('b') == 1",
    "[1, 2, 1].lastIndexOf(1) == 2",
    "[1, 2, 3].indexOf(9) == -1",
    "[1, 2, 3, 4].slice(1, 3) == [2, 3]",
    "[[1], [2, [3]]].flatten() == [1, 2, [3]]",
    "[[1], [2, [3]]].flatten(2) == [1, 2, 3]",
    "[1, 2, 1, 3].distinct() == [1, 2, 3]",
    "[3, 1, 2].sort() == [1, 2, 3]",
    "[1, 2].reverse() == [2, 1]",
    "lists.range(3) == [0, 1, 2]",
    "[1, 2].first().value() == 1",
    "![].first().hasValue()",
    "[1, 2].last() == optional.of(2)",
    // Regex (RE2 syntax; Kubernetes' regex library).
    "'abc 123'.find('[0-9]+') == '123'",
    "'abc 123'.find('xyz') == ''",
    "'1, 2, 3, 4'.findAll('[0-9]+').map(x, int(x)).sum() < 100",
    "'1, 2, 3, 4'.findAll('[0-9]+', 2) == ['1', '2']",
    "'hello'.matches('^h.*o$')",
    "matches('hello', 'ell')",
    "!'hello'.matches('^ell')",
    "'abc'.matches('\\\\w+')",
    // Sets.
    "sets.contains([1, 2, 3], [2, 3])",
    "!sets.contains([1, 2], [3])",
    "sets.contains([], [])",
    "sets.equivalent([1, 2, 2], [2, 1])",
    "!sets.equivalent([1], [1, 2])",
    "sets.intersects([1, 2], [2, 3])",
    "!sets.intersects([1], [])",
    // Optionals.
    "optional.of(1).hasValue()",
    "!optional.none().hasValue()",
    "optional.none().orValue(5) == 5",
    "optional.of(1).or(optional.of(2)) == optional.of(1)",
    "optional.none().or(optional.of(2)).value() == 2",
    "!optional.ofNonZeroValue('').hasValue()",
    "optional.ofNonZeroValue('a').hasValue()",
    "self.?missing.orValue('default') == 'default'",
    "self.?health.value() == 'ok: fine'",
    "self.?stateCounts.Available.orValue(0) == 3",
    "self.?stateCounts.Missing.orValue(0) == 0",
    "{'a': 1}[?'b'].orValue(2) == 2",
    "[1, 2][?5].orValue(0) == 0",
    "[?optional.none(), ?optional.of(1), 2] == [1, 2]",
    "{?'a': optional.none(), 'b': 1} == {'b': 1}",
    "optional.of(2).optMap(x, x * 2) == optional.of(4)",
    "optional.none().optMap(x, x * 2) == optional.none()",
    "optional.of(2).optFlatMap(x, optional.of(x + 1)).value() == 3",
    // base64 and math.
    "base64.encode(b'hello') == 'aGVsbG8='",
    "base64.decode('aGVsbG8=') == b'hello'",
    "math.greatest(1, 3, 2) == 3",
    "math.least([4, 2.5]) == 2.5",
    // URLs (Kubernetes' URL library).
    "url('https://example.com:80/').getHost() == 'example.com:80'",
    "url('https://example.com:80/').getHostname() == 'example.com'",
    "url('https://example.com:80/').getPort() == '80'",
    "url('https://example.com/').getPort() == ''",
    "url('https://example.com/path').getScheme() == 'https'",
    "url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'",
    "url('https://[::1]:80/').getHostname() == '::1'",
    "url('https://[::1]:80/').getHost() == '[::1]:80'",
    "url('https://example.com/?k=a&k=b&x=y').getQuery() == {'k': ['a', 'b'], 'x': ['y']}",
    "url('/absolute-path').getEscapedPath() == '/absolute-path'",
    "isURL('https://example.com')",
    "!isURL('example.com')",
    "!isURL('')",
    // Quantities (Kubernetes' quantity library, the documentation's examples).
    "quantity('500000G').isInteger()",
    "quantity('50k').asInteger() == 50000",
    // Parsed quantities are capped at 2^63 - 1, as apimachinery caps them.
    "quantity('9999999999999999999999999999999999999G').asApproximateFloat() == 9223372036854775807.0",
    "quantity('50k').add(quantity('20k')) == quantity('70k')",
    "quantity('50k').sub(20000) == quantity('30k')",
    "quantity('50k').add(20).sub(quantity('100k')).sub(-50000) == quantity('20')",
    "quantity('200M').compareTo(quantity('0.2G')) == 0",
    "quantity('150Mi').isGreaterThan(quantity('100Mi'))",
    "quantity('50M').isLessThan(quantity('100M'))",
    "quantity('1Gi').asInteger() == 1073741824",
    "quantity('500m').sign() == 1",
    "!quantity('500m').isInteger()",
    "quantity('1.5').asApproximateFloat() == 1.5",
    "quantity('1e3').asInteger() == 1000",
    "isQuantity('1.5Gi')",
    "!isQuantity('1.5GB')",
    "!isQuantity('')",
    "quantity('1Gi') == quantity('1024Mi')",
    // IPs and CIDRs (Kubernetes' IP and CIDR libraries).
    "isIP('1.2.3.4')",
    "isIP('2001:db8::1')",
    "!isIP('1.2.3')",
    "!isIP('::ffff:1.2.3.4')",
    "!isIP('fe80::1%eth0')",
    "!isIP('01.2.3.4')",
    "ip('1.2.3.4').family() == 4",
    "ip('::1').family() == 6",
    "ip.isCanonical('2001:db8::1')",
    "!ip.isCanonical('2001:DB8::1')",
    "!ip.isCanonical('2001:db8:0:0:0:0:0:1')",
    "ip('127.0.0.1').isLoopback()",
    "ip('0.0.0.0').isUnspecified()",
    "ip('224.0.0.1').isLinkLocalMulticast()",
    "ip('ff02::1').isLinkLocalMulticast()",
    "ip('169.254.1.1').isLinkLocalUnicast()",
    "ip('fe80::1').isLinkLocalUnicast()",
    "ip('10.0.0.1').isGlobalUnicast()",
    "!ip('255.255.255.255').isGlobalUnicast()",
    "string(ip('1.2.3.4')) == '1.2.3.4'",
    "ip('1.2.3.4') == ip('1.2.3.4')",
    "isCIDR('10.0.0.0/8')",
    "!isCIDR('10.0.0.0/33')",
    "!isCIDR('10.0.0.0')",
    "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))",
    "cidr('192.168.0.0/24').containsIP('192.168.0.1')",
    "!cidr('192.168.0.0/24').containsIP('192.168.1.1')",
    "cidr('192.168.0.0/24').containsCIDR('192.168.0.0/25')",
    "!cidr('192.168.0.0/24').containsCIDR('192.168.0.0/23')",
    "cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/24'))",
    "cidr('192.168.1.5/24').masked() == cidr('192.168.1.0/24')",
    "cidr('192.168.1.5/24').ip() == ip('192.168.1.5')",
    "cidr('::1/128').prefixLength() == 128",
    "string(cidr('10.0.0.0/8')) == '10.0.0.0/8'",
    "!cidr('10.0.0.0/8').containsIP('::1')",
];

const ERRORS: &[(&str, &str)] = &[
    ("1 / 0", "division by zero"),
    ("1 % 0", "modulus by zero"),
    ("9223372036854775807 + 1", "overflow"),
    ("0u - 1u", "overflow"),
    ("1 + 1u", "no such overload"),
    ("1 + 'a'", "no such overload"),
    ("1 < 'a'", "no such overload"),
    ("self.missing", "no such key: missing"),
    ("self.health.missing", "invalid type for field selection"),
    ("{'a': 1}['b']", "no such key: b"),
    ("[1][3]", "index out of bounds"),
    ("{'a': 1, 'a': 2}", "repeated key"),
    ("int('x')", "cannot convert"),
    ("int(1e20)", "overflow"),
    ("'abc'.substring(2, 1)", "invalid substring range"),
    ("'abc'.charAt(9)", "index out of range"),
    ("[1, 'a'].sort()", "no such overload"),
    ("[].min()", "empty"),
    ("quantity('1.5GB')", "quantities must match"),
    ("quantity('500m').asInteger()", "cannot convert value to integer"),
    ("ip('::ffff:1.2.3.4')", "IPv4-mapped"),
    ("ip('not-an-ip')", "parse error"),
    ("cidr('1.2.3.4/99')", "parse error"),
    ("url('not a url')", "invalid URI"),
    ("optional.none().value()", "optional.none() dereference"),
    ("'x'.matches(self.health + '(')", "invalid regular expression"),
    ("[1, 2].all(x, x / 0 == 1)", "division by zero"),
    ("1 == 1 && 'a'", "no such overload"),
    ("timestamp('not a time')", "invalid timestamp"),
    ("duration('1x')", "invalid duration"),
];

const COMPILE_ERRORS: &[(&str, &str, (u32, u32))] = &[
    ("object.metadata.name.startWith('demo')", "function 'startWith' is not supported by Rampart", (1, 22)),
    ("1 +", "unexpected end of expression", (1, 4)),
    ("(1 + 2", "expected ')'", (1, 7)),
    ("self.name == 'a' &&\n  undefinedVar", "undeclared reference to 'undefinedVar'", (2, 3)),
    ("object.check('get')", "function 'check' (the authorizer) is not supported by Rampart", (1, 8)),
    ("image('nginx').tag()", "function 'image' (Kubernetes' image library) is not supported by Rampart", (1, 1)),
    ("quantity('1k').mul(2)", "function 'mul' (Kubernetes' quantity arithmetic) is not supported by Rampart", (1, 16)),
    ("'a'.matches('(')", "invalid regular expression", (1, 13)),
    ("has(self)", "invalid argument to has() macro", (1, 5)),
    ("'abc'.split()", "no matching overload for 'split' with 0 argument(s)", (1, 7)),
    ("sets.union([1], [2])", "function 'sets.union' is not supported by Rampart", (1, 1)),
    ("if == 1", "'if' is a reserved word", (1, 1)),
    ("'unterminated", "unterminated string", (1, 1)),
    ("1 @ 2", "unexpected character '@'", (1, 3)),
    ("variables.foo", "no variable is declared", (1, 10)),
    ("123456789012345678901234567890", "out of range", (1, 1)),
];

#[test]
fn expressions_that_must_be_true() {
    let mut failures = Vec::new();
    for case in TRUE {
        match eval(case) {
            Ok(Value::Bool(true)) => {}
            other => failures.push(format!("{case}\n    => {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), TRUE.len(), failures.join("\n"));
}

#[test]
fn expressions_that_must_fail_at_run_time() {
    let mut failures = Vec::new();
    for (case, expected) in ERRORS {
        match eval(case) {
            Err(message) if message.contains(expected) => {}
            other => failures.push(format!("{case}\n    expected an error with {expected:?}, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expressions_that_must_not_compile_say_where() {
    let mut failures = Vec::new();
    for (case, expected, position) in COMPILE_ERRORS {
        let env = Env { globals: vec!["self".into(), "object".into()], ..Env::default() };
        match Program::compile(case, &env) {
            Err(error) if error.message.contains(expected) && error.position(case) == *position => {}
            Err(error) => failures.push(format!("{case}\n    got {:?} at {:?}", error.message, error.position(case))),
            Ok(_) => failures.push(format!("{case}\n    compiled")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_authorizer_is_a_clear_error() {
    let env = Env {
        globals: vec!["object".into()],
        unsupported: vec![("authorizer".into(), "authorizer is not supported by Rampart".into())],
        ..Env::default()
    };
    let text = "authorizer.group('').resource('pods').check('create').allowed()";
    let error = Program::compile(text, &env).unwrap_err();
    assert_eq!(error.message, "authorizer is not supported by Rampart");
    assert_eq!(error.position(text), (1, 1));
}

#[test]
fn a_runaway_expression_is_stopped_by_the_cost_limit() {
    let text = "lists.range(1000).all(x, lists.range(1000).all(y, lists.range(10).all(z, x + y + z >= 0)))";
    let program = Program::compile(text, &env()).unwrap();
    let globals = globals();
    let activation = Activation::new(&globals, &[], DEFAULT_COST_LIMIT);
    let error = program.eval(&activation).unwrap_err();
    assert!(error.message.contains("cost limit exceeded"), "{}", error.message);
    // The same expression over small ranges is fine.
    let small = Program::compile("lists.range(10).all(x, lists.range(10).all(y, x + y >= 0))", &env()).unwrap();
    assert!(matches!(small.eval(&Activation::new(&globals, &[], DEFAULT_COST_LIMIT)), Ok(Value::Bool(true))));
}

#[test]
fn compiling_evaluates_no_costly_constant() {
    // Type errors of constant arguments are found by calling the function once; a call that
    // would build a large value from a small one is left to the evaluation's cost budget.
    let text = vec!["lists.range(1000000).size() > 0"; 2_000].join(" && ");
    let program = Program::compile(&text, &env()).unwrap();
    let globals = globals();
    let error = program.eval(&Activation::new(&globals, &[], DEFAULT_COST_LIMIT)).unwrap_err();
    assert!(error.message.contains("cost limit exceeded"), "{}", error.message);
}

#[test]
fn long_chains_are_shallow_trees_or_refused_never_a_stack_overflow() {
    let globals = globals();
    let run = |text: &str| {
        Program::compile(text, &env()).map(|program| program.eval(&Activation::new(&globals, &[], DEFAULT_COST_LIMIT)))
    };
    // `&&` and `||` chains are balanced, as cel-go balances them: the longest evaluate.
    let text = vec!["self.replicas == 3"; 4_000].join(" && ");
    assert!(matches!(run(&text), Ok(Ok(Value::Bool(true)))));
    let text = format!("{} || true", vec!["self.replicas == 4"; 4_000].join(" || "));
    assert!(matches!(run(&text), Ok(Ok(Value::Bool(true)))));
    // An error anywhere in a chain is still decided by the others, whichever way it nests.
    let text = format!("{} && false", vec!["1 / 0 == 1"; 999].join(" && "));
    assert!(matches!(run(&text), Ok(Ok(Value::Bool(false)))));
    // Left-deep chains of other operators, selections and calls are bounded.
    for text in [
        vec!["1"; 20_000].join(" + "),
        format!("self{}", ".a".repeat(20_000)),
        format!("'a'{}", ".trim()".repeat(10_000)),
        format!("self.list1{}", "[0]".repeat(20_000)),
        vec!["1"; 20_000].join(" == "),
    ] {
        let error = run(&text).err().unwrap_or_else(|| panic!("{} compiled", &text[..40]));
        assert!(error.message.contains("deeper than 250 levels"), "{}", error.message);
    }
    // 200 links are fine.
    assert!(matches!(run(&vec!["1"; 200].join(" + ")), Ok(Ok(Value::Int(200)))));
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let text = format!("{}1{}", "(".repeat(500), ")".repeat(500));
    let error = Program::compile(&text, &env()).unwrap_err();
    assert!(error.message.contains("nests deeper"), "{}", error.message);
    let text = format!("{}true", "!".repeat(500));
    assert!(Program::compile(&text, &env()).is_err());
}

#[test]
fn lazy_variables_are_evaluated_once_and_only_when_used() {
    let mut env = env();
    let first = Program::compile("1 / 0 == 1", &env).unwrap();
    env.variables.push("broken".into());
    let second = Program::compile("names.size()", &env).unwrap();
    env.variables.push("count".into());
    let variables = vec![first, second];
    let globals = globals();
    let unused = Program::compile("variables.count == 3", &env).unwrap();
    assert!(matches!(unused.eval(&Activation::new(&globals, &variables, DEFAULT_COST_LIMIT)), Ok(Value::Bool(true))));
    let used = Program::compile("variables.count == 3 && variables.broken", &env).unwrap();
    let error = used.eval(&Activation::new(&globals, &variables, DEFAULT_COST_LIMIT)).unwrap_err();
    assert_eq!(error.message, "division by zero");
    assert_eq!(error.variable, Some(0));
}
