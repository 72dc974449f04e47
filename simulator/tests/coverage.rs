//! Whether the simulator is a complete twin of the specs: every operation of every module is
//! served (the front door routes it to its handler, which does not answer 501
//! `not_implemented`), and every query parameter a spec declares for a GET is read by its handler
//! (none is left in `Simulator::ignored_query_parameters`).
//!
//! Each test reports every gap it finds in one failure, so that the message is the list of what
//! is left to do.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use scaleway_client::api::{ApiModule, MODULES, Operation};
use scaleway_sim::Simulator;
use serde_json::{Value, json};
use serde_yaml_ng::Value as Yaml;

use super::requests::{SBS_IMAGE, ZONE, sim};

const REGION: &str = "fr-par";

// ---------------------------------------------------------------------------------------------
// Every operation served
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_operation_of_every_module_is_served() {
    assert!(!MODULES.is_empty(), "no API module is generated");
    let sim = sim(0.0).await;
    let mut sender = Sender::new(&sim);
    let mut unserved = Vec::new();
    let mut enumerated: BTreeMap<&str, usize> = BTreeMap::new();
    for module in MODULES {
        assert_table_matches_spec(module, &spec_operations(module));
        for op in module.operations {
            let path = concrete_path(module, op, &mut |name| placeholder(module, op, name));
            assert_eq!(
                module.find_operation(op.method, &path).map(|found| found.id),
                Some(op.id),
                "{} {} {path} does not route to {}",
                module.name,
                op.method,
                op.id
            );
            let body = (!matches!(op.method, "GET" | "DELETE")).then(|| json!({}));
            let key = format!("{}.{}", module.name, op.id);
            let routed_before = sim.fault_counts().operations.get(&key).copied().unwrap_or(0);
            let answer = sender.send(op.method, &path, &[], body.as_ref()).await;
            let routed = sim.fault_counts().operations.get(&key).copied().unwrap_or(0) > routed_before;
            if let Some(why) = unserved_because(&answer, routed) {
                unserved.push(format!(
                    "  {} {} {} {} ({why})",
                    module.name, op.id, op.method, op.path
                ));
            }
            *enumerated.entry(module.name).or_default() += 1;
        }
    }
    let every_module: BTreeSet<&str> = MODULES.iter().map(|m| m.name).collect();
    let with_operations: BTreeSet<&str> = enumerated.keys().copied().collect();
    assert_eq!(with_operations, every_module, "a module has no operation");
    let total: usize = enumerated.values().sum();
    let expected: usize = MODULES.iter().map(|m| m.operations.len()).sum();
    assert_eq!(total, expected, "operations enumerated");
    assert_eq!(sender.sent, total as u64, "one request per operation");
    sender.assert_every_request_arrived();
    let served = total - unserved.len();
    assert!(
        unserved.is_empty(),
        "served {served} of {total} operations; {} not served (module, operation, method, path):\n{}",
        unserved.len(),
        unserved.join("\n")
    );
    println!("served {served} of {total} operations");
}

/// Why an answer shows that the operation is not served, if it does. `routed`: the front door
/// counted the request under the operation. (A 404 naming the resource `unknown` cannot tell
/// an unknown route: the real API answers a missing VPC route or ingress rule that way too.)
fn unserved_because(answer: &Answer, routed: bool) -> Option<String> {
    if !routed {
        return Some(format!("{} not routed to the operation", answer.status));
    }
    if answer.status == 501 {
        return Some(format!(
            "501 {}",
            answer.body["type"].as_str().unwrap_or("without a type")
        ));
    }
    None
}

/// A value for a path parameter when nothing needs to exist: any id is a fresh UUID (the answer
/// is then usually a 404 of the resource, which shows the operation is served).
fn placeholder(module: &ApiModule, op: &Operation, name: &str) -> String {
    match name {
        "zone" => ZONE.to_string(),
        "region" => REGION.to_string(),
        // A user_data key.
        "key" => "cloud-init".to_string(),
        // An Instance flexible IP, by id or address.
        "ip" => uuid(),
        _ if name.ends_with("_id") => uuid(),
        _ => panic!(
            "no placeholder for the path parameter {name} of {}/{}: add one",
            module.name, op.id
        ),
    }
}

/// The operation table generated for a module is exactly the operations of its spec.
fn assert_table_matches_spec(module: &ApiModule, spec: &[SpecOperation]) {
    let table: BTreeSet<(String, String, String)> = module
        .operations
        .iter()
        .map(|op| (op.method.to_string(), op.path.to_string(), op.id.to_string()))
        .collect();
    let declared: BTreeSet<(String, String, String)> = spec
        .iter()
        .map(|op| (op.method.clone(), op.path.clone(), op.id.clone()))
        .collect();
    assert!(!declared.is_empty(), "{} declares no operation", module.spec_file);
    assert_eq!(
        table, declared,
        "{}: the operation table differs from {}",
        module.name, module.spec_file
    );
}

// ---------------------------------------------------------------------------------------------
// Every declared query parameter honoured
// ---------------------------------------------------------------------------------------------

/// Query parameters of which the API takes one per request (the SDKs document them as "precisely
/// one of"): each is sent in a request of its own, along with every other parameter.
const EXCLUSIVE_QUERY_PARAMETERS: &[(&str, &str, &[&str])] = &[
    (
        "ipam_v1",
        "ListIPs",
        &[
            "zonal",
            "regional",
            "private_network_id",
            "subnet_id",
            "source_vpc_id",
        ],
    ),
    (
        "marketplace_v2",
        "ListLocalImages",
        &["image_id", "version_id", "image_label"],
    ),
];

#[tokio::test]
async fn every_declared_query_parameter_of_a_get_is_honoured() {
    assert_unread_parameters_are_recorded().await;
    let sim = sim(0.0).await;
    let mut sender = Sender::new(&sim);
    let mut parents = Parents::default();
    let values = QueryValues::discover(&mut sender).await;
    let mut report = QueryReport::default();
    for module in MODULES {
        let declared = spec_operations(module);
        assert_exclusive_groups_are_declared(module, &declared);
        for spec_op in declared
            .iter()
            .filter(|o| o.method == "GET" && !o.query.is_empty())
        {
            let op = module
                .operations
                .iter()
                .find(|op| op.id == spec_op.id)
                .unwrap_or_else(|| panic!("{}/{} is not in the operation table", module.name, spec_op.id));
            check_query_parameters(
                &mut sender,
                &mut parents,
                &values,
                (module, op),
                spec_op,
                &mut report,
            )
            .await;
        }
    }
    report.assert_not_vacuous();
    sender.assert_every_request_arrived();
    report.ignored = sim.ignored_query_parameters();
    report.assert_complete();
    println!("{}; none was ignored", report.summary());
}

/// The simulator does report a parameter no handler read: without that, an empty report proves
/// nothing.
async fn assert_unread_parameters_are_recorded() {
    let sim = sim(0.0).await;
    let mut sender = Sender::new(&sim);
    let probe = [("coverage_probe".to_string(), "1".to_string())];
    let answer = sender
        .send("GET", &format!("/instance/v1/zones/{ZONE}/servers"), &probe, None)
        .await;
    assert!(answer.is_success(), "{}", answer.summary());
    let expected = BTreeMap::from([(
        "instance_v1/ListServers".to_string(),
        BTreeSet::from(["coverage_probe".to_string()]),
    )]);
    assert_eq!(sim.ignored_query_parameters(), expected);
}

/// Sends `op` every query parameter its spec declares (exclusive ones in requests of their own)
/// and notes any answer that is not a success.
async fn check_query_parameters(
    sender: &mut Sender<'_>,
    parents: &mut Parents,
    values: &QueryValues,
    (module, op): (&ApiModule, &Operation),
    spec_op: &SpecOperation,
    report: &mut QueryReport,
) {
    let name = format!("{}/{}", module.name, op.id);
    report.attempted.insert((module.name, op.id));
    let prepared = match parents.path(sender, module, op).await {
        Ok(path) => query_requests(module, spec_op, values).map(|requests| (path, requests)),
        Err(why) => Err(why),
    };
    let (path, requests) = match prepared {
        Ok(prepared) => prepared,
        Err(why) => {
            let declared: Vec<&str> = spec_op.query.iter().map(|(name, _)| name.as_str()).collect();
            let declared = declared.join(", ");
            report
                .unchecked
                .push(format!("  {name} (declares {declared}): {why}"));
            return;
        }
    };
    for query in &requests {
        let answer = sender.send("GET", &path, query, None).await;
        report.requests += 1;
        if !answer.is_success() {
            let sent: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            report.refused.push(format!(
                "  {name}: GET {path}?{} answered {}",
                sent.join("&"),
                answer.summary()
            ));
        }
    }
    report.parameters += spec_op.query.len();
    report.checked.insert((module.name, op.id));
}

/// The queries to send: one with every declared parameter, or, where some parameters exclude
/// each other, one per excluding parameter with all the others.
fn query_requests(
    module: &ApiModule,
    spec_op: &SpecOperation,
    values: &QueryValues,
) -> Result<Vec<Vec<(String, String)>>, String> {
    let exclusive = exclusive_group(module, &spec_op.id);
    let mut shared = Vec::new();
    let mut alone = Vec::new();
    for (name, schema) in &spec_op.query {
        let pairs: Vec<(String, String)> = values
            .of(module, name, schema)?
            .into_iter()
            .map(|value| (name.clone(), value))
            .collect();
        if exclusive.contains(&name.as_str()) {
            alone.push(pairs);
        } else {
            shared.extend(pairs);
        }
    }
    if alone.is_empty() {
        return Ok(vec![shared]);
    }
    Ok(alone
        .into_iter()
        .map(|pairs| shared.iter().cloned().chain(pairs).collect())
        .collect())
}

fn exclusive_group(module: &ApiModule, operation: &str) -> &'static [&'static str] {
    EXCLUSIVE_QUERY_PARAMETERS
        .iter()
        .find(|(m, op, _)| *m == module.name && *op == operation)
        .map(|(_, _, group)| *group)
        .unwrap_or_default()
}

/// The exclusive groups name parameters the specs still declare, so none goes stale unnoticed.
fn assert_exclusive_groups_are_declared(module: &ApiModule, declared: &[SpecOperation]) {
    for (_, operation, group) in EXCLUSIVE_QUERY_PARAMETERS
        .iter()
        .filter(|(m, ..)| *m == module.name)
    {
        let op = declared
            .iter()
            .find(|o| o.id == *operation && o.method == "GET")
            .unwrap_or_else(|| panic!("{}/{operation} is not a GET of its spec", module.name));
        for name in *group {
            assert!(
                op.query.iter().any(|(declared, _)| declared == name),
                "{}/{operation} declares no query parameter {name}",
                module.name
            );
        }
    }
}

/// What the query check found.
#[derive(Default)]
struct QueryReport {
    /// The operations looked at, whether or not their requests could be sent.
    attempted: BTreeSet<(&'static str, &'static str)>,
    /// The operations whose every declared parameter was sent.
    checked: BTreeSet<(&'static str, &'static str)>,
    /// Declared query parameters sent, over all operations.
    parameters: usize,
    requests: usize,
    /// Answers that were not a success.
    refused: Vec<String>,
    /// Operations that could not be sent, and why.
    unchecked: Vec<String>,
    ignored: BTreeMap<String, BTreeSet<String>>,
}

impl QueryReport {
    /// Every paged list of the operation tables was among the operations checked.
    fn assert_not_vacuous(&self) {
        let lists: BTreeSet<(&str, &str)> = MODULES
            .iter()
            .flat_map(|m| m.list_operations.iter().map(move |l| (m.name, l.id)))
            .collect();
        assert!(!lists.is_empty(), "no list operation is generated");
        let missing: Vec<String> = lists
            .difference(&self.attempted)
            .map(|(m, op)| format!("{m}/{op}"))
            .collect();
        assert!(
            missing.is_empty(),
            "list operations with no declared query parameter in their spec: {missing:?}"
        );
        assert!(self.attempted.len() >= lists.len());
        assert!(self.requests >= self.checked.len());
    }

    fn assert_complete(&self) {
        let mut sections = Vec::new();
        if !self.refused.is_empty() {
            sections.push(format!(
                "not answered with a success ({}):\n{}",
                self.refused.len(),
                self.refused.join("\n")
            ));
        }
        if !self.unchecked.is_empty() {
            sections.push(format!(
                "not sent ({}):\n{}",
                self.unchecked.len(),
                self.unchecked.join("\n")
            ));
        }
        if !self.ignored.is_empty() {
            let lines: Vec<String> = self
                .ignored
                .iter()
                .map(|(op, names)| {
                    format!("  {op}: {}", names.iter().cloned().collect::<Vec<_>>().join(", "))
                })
                .collect();
            let count: usize = self.ignored.values().map(BTreeSet::len).sum();
            sections.push(format!(
                "ignored query parameters ({count} in {} operations):\n{}",
                self.ignored.len(),
                lines.join("\n")
            ));
        }
        assert!(
            sections.is_empty(),
            "{};\n{}",
            self.summary(),
            sections.join("\n")
        );
    }

    fn summary(&self) -> String {
        format!(
            "{} GET operations declare query parameters; {} were sent all {} of theirs, in {} requests",
            self.attempted.len(),
            self.checked.len(),
            self.parameters,
            self.requests
        )
    }
}

/// Plausible values for query parameters, from their schema and name.
struct QueryValues {
    organization: String,
    project: String,
    /// A Marketplace image and one of its versions, when the simulator lists them: a filter on an
    /// image that does not exist may rightly be refused.
    marketplace_image: Option<String>,
    marketplace_version: Option<String>,
}

/// Values for string parameters that are neither ids nor free text.
const WORDS: &[(&str, &str)] = &[
    ("zonal", ZONE),
    ("zone", ZONE),
    ("arch", "x86_64"),
    ("commercial_type", "DEV1-S"),
    ("volume_type", "sbs_5k"),
    ("type", "routed_ipv4"),
    ("locale", "en_US"),
    ("image_label", "ubuntu_noble"),
    ("category", "distribution"),
    ("private_ip", "192.0.2.10"),
    ("with_ip", "192.0.2.10"),
    ("nexthop_resource_ip", "192.0.2.10"),
    ("contains", "192.0.2.0/24"),
    ("mac_address", "02:00:00:00:00:01"),
    ("private_nic_mac_address", "02:00:00:00:00:01"),
];

/// Free-text values: arrays get two, to show they travel as repeated `name=value` pairs.
const FREE_TEXT: [&str; 2] = ["coverage", "twin"];

impl QueryValues {
    async fn discover(sender: &mut Sender<'_>) -> QueryValues {
        let marketplace_image = first_id(sender, "/marketplace/v2/images", &[], "images").await;
        let marketplace_version = match &marketplace_image {
            Some(image) => {
                let query = [("image_id".to_string(), image.clone())];
                first_id(sender, "/marketplace/v2/versions", &query, "versions").await
            }
            None => None,
        };
        QueryValues {
            organization: sender.sim.organization_id().to_string(),
            project: sender.sim.project_id().to_string(),
            marketplace_image,
            marketplace_version,
        }
    }

    /// The values to send for a parameter: one for a scalar, two for an array.
    fn of(&self, module: &ApiModule, name: &str, schema: &Yaml) -> Result<Vec<String>, String> {
        if schema["type"].as_str() == Some("array") {
            let items = &schema["items"];
            return (0..2).map(|n| self.scalar(module, name, items, n)).collect();
        }
        self.scalar(module, name, schema, 0).map(|value| vec![value])
    }

    /// The `n`th plausible value of a scalar parameter.
    fn scalar(&self, module: &ApiModule, name: &str, schema: &Yaml, n: usize) -> Result<String, String> {
        if let Some(values) = schema["enum"].as_sequence() {
            let value = values.get(n).or(values.first());
            return value
                .and_then(yaml_scalar)
                .ok_or_else(|| format!("the enum of the query parameter {name} has no usable value"));
        }
        match schema["type"].as_str() {
            Some("boolean") => Ok("true".to_string()),
            Some("integer" | "number") => Ok("1".to_string()),
            Some("string") => Ok(self.string(module, name, n)),
            other => Err(format!(
                "no plausible value for the query parameter {name} of type {other:?}"
            )),
        }
    }

    fn string(&self, module: &ApiModule, name: &str, n: usize) -> String {
        let marketplace = module.name.starts_with("marketplace_");
        match name {
            "organization" | "organization_id" => self.organization.clone(),
            "project" | "project_id" => self.project.clone(),
            "image_id" if marketplace => self.marketplace_image.clone().unwrap_or_else(uuid),
            "version_id" if marketplace => self.marketplace_version.clone().unwrap_or_else(uuid),
            _ if is_id(name) => uuid(),
            _ => WORDS
                .iter()
                .find(|(word, _)| *word == name)
                .map(|(_, value)| value.to_string())
                .unwrap_or_else(|| FREE_TEXT[n % FREE_TEXT.len()].to_string()),
        }
    }
}

/// Whether a string parameter holds ids (`servers` and `private_networks` are comma-separated
/// lists of ids).
fn is_id(name: &str) -> bool {
    name.ends_with("_id")
        || name.ends_with("_ids")
        || matches!(name, "servers" | "private_network" | "private_networks")
}

fn yaml_scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The id of the first item a list answers, if it answers a success with one.
async fn first_id(
    sender: &mut Sender<'_>,
    path: &str,
    query: &[(String, String)],
    items: &str,
) -> Option<String> {
    let answer = sender.send("GET", path, query, None).await;
    if !answer.is_success() {
        return None;
    }
    answer.body[items][0]["id"].as_str().map(str::to_string)
}

/// The resources that nested lists name in their path, created on first use.
#[derive(Default)]
struct Parents {
    ids: HashMap<(&'static str, String), Result<String, String>>,
}

impl Parents {
    /// The operation's concrete path, with real parents for its ids.
    async fn path(
        &mut self,
        sender: &mut Sender<'_>,
        module: &ApiModule,
        op: &Operation,
    ) -> Result<String, String> {
        let mut ids = HashMap::new();
        for name in path_parameter_names(op) {
            let value = match name {
                "zone" => ZONE.to_string(),
                "region" => REGION.to_string(),
                _ => self.id(sender, module, name).await?,
            };
            ids.insert(name, value);
        }
        Ok(concrete_path(module, op, &mut |name| ids[name].clone()))
    }

    async fn id(
        &mut self,
        sender: &mut Sender<'_>,
        module: &ApiModule,
        name: &str,
    ) -> Result<String, String> {
        let key = (module.name, name.to_string());
        if !self.ids.contains_key(&key) {
            let created = create_parent(sender, module, name).await;
            self.ids.insert(key.clone(), created);
        }
        self.ids[&key].clone()
    }
}

/// Creates the resource a path parameter names, through the simulator's API.
async fn create_parent(sender: &mut Sender<'_>, module: &ApiModule, name: &str) -> Result<String, String> {
    let project = sender.sim.project_id().to_string();
    let instance = format!("/instance/v1/zones/{ZONE}");
    let vpc = format!("/vpc/v2/regions/{REGION}");
    match (module.name, name) {
        ("instance_v1", "server_id") => {
            let body = json!({"name": "coverage", "commercial_type": "DEV1-S", "image": SBS_IMAGE,
                              "project": project});
            create(sender, &format!("{instance}/servers"), body, "/server/id").await
        }
        ("instance_v1", "security_group_id") => {
            let body = json!({"name": "coverage", "project": project, "stateful": true,
                              "inbound_default_policy": "accept", "outbound_default_policy": "accept"});
            create(
                sender,
                &format!("{instance}/security_groups"),
                body,
                "/security_group/id",
            )
            .await
        }
        ("vpc_v2" | "ipam_v1", "private_network_id") => {
            let body = json!({"name": "coverage", "project_id": project});
            create(sender, &format!("{vpc}/private-networks"), body, "/id").await
        }
        ("vpc_v2", "vpc_id") => {
            // With both its ACLs set, so that reading one needs nothing the API may refuse for a
            // VPC that never had one.
            let id = create_vpc(sender, "coverage").await?;
            for is_ipv6 in [false, true] {
                let body = json!({"rules": [], "is_ipv6": is_ipv6, "default_policy": "accept"});
                apply(sender, "PUT", &format!("{vpc}/vpcs/{id}/acl-rules"), &body).await?;
            }
            Ok(id)
        }
        ("vpc_v2", "vpc_connector_id") => {
            let source = create_vpc(sender, "coverage-source").await?;
            let target = create_vpc(sender, "coverage-target").await?;
            let body = json!({"name": "coverage", "vpc_id": source, "target_vpc_id": target});
            create(sender, &format!("{vpc}/vpc-connectors"), body, "/id").await
        }
        ("block_v1" | "block_v1alpha1", "volume_id") => {
            let version = module.name.trim_start_matches("block_");
            let body = json!({"name": "coverage", "perf_iops": 5000, "project_id": project,
                              "from_empty": {"size": 20_000_000_000u64}});
            create(
                sender,
                &format!("/block/{version}/zones/{ZONE}/volumes"),
                body,
                "/id",
            )
            .await
        }
        ("account_v3", "contract_signature_id") => {
            let body = json!({"contract_name": "coverage", "contract_type": "global",
                              "organization_id": sender.sim.organization_id()});
            create(sender, "/account/v3/contract-signatures", body, "/id").await
        }
        _ => Err(format!(
            "no parent is known for the path parameter {name} of {}: add one to create_parent",
            module.name
        )),
    }
}

async fn create_vpc(sender: &mut Sender<'_>, name: &str) -> Result<String, String> {
    let body = json!({"name": name, "project_id": sender.sim.project_id()});
    create(sender, &format!("/vpc/v2/regions/{REGION}/vpcs"), body, "/id").await
}

/// POSTs `body` and reads the new resource's id at the JSON pointer `id_at` of the answer.
async fn create(sender: &mut Sender<'_>, path: &str, body: Value, id_at: &str) -> Result<String, String> {
    let answer = apply(sender, "POST", path, &body).await?;
    answer
        .body
        .pointer(id_at)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            format!(
                "its parent has no id at {id_at}: POST {path} answered {}",
                answer.summary()
            )
        })
}

/// Sends a step of a parent's making, which must succeed.
async fn apply(sender: &mut Sender<'_>, method: &str, path: &str, body: &Value) -> Result<Answer, String> {
    let answer = sender.send(method, path, &[], Some(body)).await;
    if answer.is_success() {
        Ok(answer)
    } else {
        Err(format!(
            "its parent could not be made: {method} {path} answered {}",
            answer.summary()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// The specs
// ---------------------------------------------------------------------------------------------

/// One operation as its spec file declares it.
struct SpecOperation {
    /// Upper case, as in the operation tables.
    method: String,
    path: String,
    id: String,
    /// Its query parameters by name, with their schemas, `$ref`s resolved.
    query: Vec<(String, Yaml)>,
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The operations of a module's spec file, read at test time.
fn spec_operations(module: &ApiModule) -> Vec<SpecOperation> {
    let file = format!("{}/../{}", env!("CARGO_MANIFEST_DIR"), module.spec_file);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let doc: Yaml = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let paths = doc["paths"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{file} has no paths"));
    let mut operations = Vec::new();
    for (path, item) in paths {
        let path = path
            .as_str()
            .unwrap_or_else(|| panic!("{file}: a path is not a string"));
        let item = resolve(&doc, item);
        for method in METHODS {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{file}: {method} {path} has no operationId"));
            operations.push(SpecOperation {
                method: method.to_uppercase(),
                path: path.to_string(),
                id: id.to_string(),
                query: query_parameters(&doc, item, op),
            });
        }
    }
    operations
}

/// The query parameters of an operation: those of its path item, overridden by its own.
fn query_parameters<'d>(doc: &'d Yaml, item: &'d Yaml, op: &'d Yaml) -> Vec<(String, Yaml)> {
    let mut merged: Vec<&Yaml> = Vec::new();
    let declared = [&item["parameters"], &op["parameters"]]
        .into_iter()
        .flat_map(|list| list.as_sequence().into_iter().flatten())
        .map(|parameter| resolve(doc, parameter));
    for parameter in declared {
        merged.retain(|p| !(p["name"] == parameter["name"] && p["in"] == parameter["in"]));
        merged.push(parameter);
    }
    merged
        .into_iter()
        .filter(|p| p["in"].as_str() == Some("query"))
        .map(|p| {
            let name = p["name"].as_str().expect("a parameter has a name").to_string();
            let mut schema = resolve(doc, &p["schema"]).clone();
            if schema["type"].as_str() == Some("array") {
                schema["items"] = resolve(doc, &schema["items"]).clone();
            }
            (name, schema)
        })
        .collect()
}

/// Follows local `$ref`s (`#/components/parameters/...`, `#/components/schemas/...`).
fn resolve<'d>(doc: &'d Yaml, value: &'d Yaml) -> &'d Yaml {
    let mut value = value;
    for _ in 0..16 {
        let Some(reference) = value["$ref"].as_str() else {
            return value;
        };
        let pointer = reference
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("not a local reference: {reference}"));
        value = pointer.split('/').fold(doc, |node, segment| {
            &node[segment.replace("~1", "/").replace("~0", "~").as_str()]
        });
        assert!(!value.is_null(), "{reference} names nothing");
    }
    panic!("$refs nested too deep")
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// The names of an operation's path parameters, in order.
fn path_parameter_names(op: &Operation) -> Vec<&'static str> {
    op.path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The operation's path with each `{parameter}` replaced by `value(name)`.
fn concrete_path(module: &ApiModule, op: &Operation, value: &mut dyn FnMut(&str) -> String) -> String {
    let path = op
        .path
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => value(name),
                None => segment.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/");
    assert!(
        op.matches_path(&path),
        "{}/{}: {path} does not match {}",
        module.name,
        op.id,
        op.path
    );
    path
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Raw requests with the simulator's key, counted so that a test can check that each of them
/// reached the simulator.
struct Sender<'s> {
    sim: &'s Simulator,
    http: reqwest::Client,
    requests_before: u64,
    sent: u64,
}

/// One answer: its status and its body (`null` when the body is not JSON).
struct Answer {
    status: u16,
    body: Value,
}

impl Answer {
    fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn summary(&self) -> String {
        let body = self.body.to_string();
        let cut = body.char_indices().nth(300).map_or(body.len(), |(i, _)| i);
        format!("{} {}", self.status, &body[..cut])
    }
}

impl<'s> Sender<'s> {
    fn new(sim: &'s Simulator) -> Sender<'s> {
        Sender {
            sim,
            http: scaleway_client::http_client_builder().unwrap().build().unwrap(),
            requests_before: sim.requests_served(),
            sent: 0,
        }
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Answer {
        let mut request = self
            .http
            .request(
                method.parse().expect("an HTTP method"),
                format!("{}{path}", self.sim.base_url()),
            )
            .header("X-Auth-Token", self.sim.secret_key())
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        self.sent += 1;
        let status = response.status().as_u16();
        assert_ne!(status, 401, "{method} {path}: the simulator refused its own key");
        let bytes = response.bytes().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// The simulator received every request sent here, and nothing else.
    fn assert_every_request_arrived(&self) {
        assert!(self.sent > 0, "no request was sent");
        assert_eq!(
            self.sim.requests_served() - self.requests_before,
            self.sent,
            "requests the simulator received"
        );
    }
}
