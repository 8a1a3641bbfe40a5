// Creates Kafka principals (SCRAM credentials) and sets their ACLs to exactly what a spec says.
//
//   java -cp '.cache/kafka/<version>/libs/*' infra/kafka/Principals.java < spec.json
//
// Run by infra/kafka/principals.py (Java's source-file mode: no build step). aiokafka has no
// admin call for SCRAM credentials or ACLs, so this uses Kafka's own Admin client, from the jars
// the broker runs on. The spec arrives on stdin so that no password is on a command line:
//
//   {"client": {"bootstrap.servers": "...", "security.protocol": "SASL_PLAINTEXT", ...},
//    "users": [{"name": "registry", "password": "...", "mechanism": "SCRAM-SHA-512"}],
//    "acls": [{"principal": "User:registry", "resource_type": "TOPIC", "name": "remit.events",
//              "pattern_type": "LITERAL", "operation": "WRITE"}]}
//
// Idempotent: credentials are upserted; for every principal named in "users", ACLs that the
// spec does not list are deleted and the listed ones created. Prints one summary line.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

public class Principals {
    private static final int SCRAM_ITERATIONS = 8192;

    public static void main(String[] args) throws Exception {
        JsonNode spec = new ObjectMapper().readTree(System.in);
        Properties client = new Properties();
        for (Map.Entry<String, JsonNode> e : iterable(spec.get("client").fields())) {
            client.put(e.getKey(), e.getValue().asText());
        }
        try (Admin admin = Admin.create(client)) {
            List<UserScramCredentialAlteration> users = new ArrayList<>();
            Set<String> principals = new HashSet<>();
            for (JsonNode user : spec.get("users")) {
                String name = user.get("name").asText();
                ScramMechanism mechanism =
                        ScramMechanism.fromMechanismName(user.get("mechanism").asText());
                users.add(new UserScramCredentialUpsertion(
                        name,
                        new ScramCredentialInfo(mechanism, SCRAM_ITERATIONS),
                        user.get("password").asText()));
                principals.add("User:" + name);
            }
            if (!users.isEmpty()) {
                admin.alterUserScramCredentials(users).all().get();
            }
            Set<AclBinding> wanted = new HashSet<>();
            for (JsonNode acl : spec.get("acls")) {
                wanted.add(binding(acl));
            }
            int deleted = deleteUnwanted(admin, principals, wanted);
            admin.createAcls(wanted).all().get();
            System.out.printf(
                    "principals: %d users, %d ACLs set, %d stale ACLs deleted%n",
                    users.size(), wanted.size(), deleted);
        }
    }

    private static AclBinding binding(JsonNode acl) {
        ResourcePattern resource = new ResourcePattern(
                ResourceType.fromString(acl.get("resource_type").asText()),
                acl.get("name").asText(),
                PatternType.fromString(acl.get("pattern_type").asText()));
        AccessControlEntry entry = new AccessControlEntry(
                acl.get("principal").asText(),
                "*",
                AclOperation.fromString(acl.get("operation").asText()),
                AclPermissionType.ALLOW);
        return new AclBinding(resource, entry);
    }

    private static int deleteUnwanted(Admin admin, Set<String> principals, Set<AclBinding> wanted)
            throws Exception {
        List<AclBindingFilter> stale = new ArrayList<>();
        for (AclBinding existing : admin.describeAcls(AclBindingFilter.ANY).values().get()) {
            if (principals.contains(existing.entry().principal()) && !wanted.contains(existing)) {
                stale.add(new AclBindingFilter(
                        new ResourcePatternFilter(
                                existing.pattern().resourceType(),
                                existing.pattern().name(),
                                existing.pattern().patternType()),
                        new AccessControlEntryFilter(
                                existing.entry().principal(),
                                existing.entry().host(),
                                existing.entry().operation(),
                                existing.entry().permissionType())));
            }
        }
        if (!stale.isEmpty()) {
            admin.deleteAcls(stale).all().get();
        }
        return stale.size();
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> iterator) {
        return () -> iterator;
    }
}
