#include "orchestrator/cli/keys_command.h"

#include <ctime>
#include <filesystem>
#include <fstream>

#include "common/wire/keys.h"
#include "orchestrator/cli/table.h"
#include "orchestrator/state/database.h"
#include "orchestrator/state/key_store.h"

namespace drover::cli {
namespace {

struct KeysArgs {
  std::string out_dir = ".";
  std::string name;
  std::string key;
  std::string from_file;
  std::string role = "agent";
};

Result<std::unique_ptr<state::Database>> OpenState(const CliContext& ctx) {
  return state::Database::Open(ctx.state);
}

Status Gen(CliContext& ctx, const KeysArgs& a) {
  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  if (ec) return InvalidArgument("cannot create directory " + a.out_dir + ": " + ec.message());
  ASSIGN_OR_RETURN(wire::KeyPair pair, wire::GenerateKeyPair());
  RETURN_STATUS_IF_ERROR(wire::WriteKeyPair(a.out_dir, a.name, pair));
  *ctx.out << a.out_dir << "/" << a.name << ".key  (secret, mode 0600)\n"
           << a.out_dir << "/" << a.name << ".pub  " << pair.public_z85 << "\n";
  return Status::Ok();
}

Status List(CliContext& ctx) {
  ASSIGN_OR_RETURN(auto db, OpenState(ctx));
  state::KeyStore keys(db.get());
  ASSIGN_OR_RETURN(auto records, keys.List());
  if (ctx.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& k : records) {
      rows.push_back({{"public_key", k.public_key},
                      {"name", k.name},
                      {"role", k.role},
                      {"status", k.status},
                      {"address", k.address},
                      {"first_seen", k.first_seen},
                      {"changed_at", k.changed_at}});
    }
    *ctx.out << rows.dump(2) << "\n";
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : records) {
    rows.push_back(
        {k.status, k.public_key, k.status == "pending" ? "" : k.role, k.name, k.address});
  }
  PrintTable(*ctx.out, {"STATUS", "KEY", "ROLE", "NAME", "ADDRESS"}, rows);
  return Status::Ok();
}

// A key argument is a Z85 key, a .pub file, or a unique prefix of a known key.
Result<std::string> KeyArgument(state::KeyStore& keys, const std::string& arg) {
  auto direct = wire::LoadPublicKey(arg);
  if (direct) return direct;
  return keys.Resolve(arg);
}

// Keys to accept: the argument, and every line of --from (a file of public
// keys, one per line, as a provisioning system would write it).
Result<std::vector<std::string>> KeysToAccept(state::KeyStore& keys, const KeysArgs& a) {
  std::vector<std::string> out;
  if (!a.key.empty()) {
    ASSIGN_OR_RETURN(std::string key, KeyArgument(keys, a.key));
    out.push_back(key);
  }
  if (!a.from_file.empty()) {
    std::ifstream in(a.from_file);
    if (!in) return Err(InvalidArgument("cannot read key list " + a.from_file));
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.empty() || line[0] == '#') continue;
      if (!wire::IsZ85Key(line)) {
        return Err(InvalidArgument(a.from_file + ":" + std::to_string(n) +
                                   ": not a 40-character Z85 public key"));
      }
      out.push_back(line);
    }
  }
  if (out.empty()) return Err(InvalidArgument("keys accept: give a key or --from FILE"));
  return out;
}

Status Accept(CliContext& ctx, const KeysArgs& a) {
  ASSIGN_OR_RETURN(state::KeyRole role, state::ParseRole(a.role));
  ASSIGN_OR_RETURN(auto db, OpenState(ctx));
  state::KeyStore keys(db.get());
  ASSIGN_OR_RETURN(std::vector<std::string> list, KeysToAccept(keys, a));
  RETURN_STATUS_IF_ERROR(db->Transaction([&]() -> Status {
    for (const auto& key : list) RETURN_STATUS_IF_ERROR(keys.Accept(key, role, a.name));
    return Status::Ok();
  }));
  if (list.size() == 1)
    *ctx.out << "accepted " << list[0] << " as " << a.role << "\n";
  else
    *ctx.out << "accepted " << list.size() << " keys as " << a.role << "\n";
  return Status::Ok();
}

Status Revoke(CliContext& ctx, const KeysArgs& a) {
  ASSIGN_OR_RETURN(auto db, OpenState(ctx));
  state::KeyStore keys(db.get());
  ASSIGN_OR_RETURN(std::string key, KeyArgument(keys, a.key));
  RETURN_STATUS_IF_ERROR(keys.Revoke(key));
  *ctx.out << "revoked " << key << "\n";
  return Status::Ok();
}

}  // namespace

void AddKeysCommand(CLI::App& root, CliContext* ctx) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* keys = root.add_subcommand("keys", "CURVE keys: generate, list, accept, revoke");
  keys->require_subcommand(1);
  auto run = [ctx, &root](std::function<Status()> body) {
    return [ctx, &root, body] {
      Status s = ResolveGlobalOptions(root, ctx);
      if (s.ok()) s = body();
      if (!s.ok()) ctx->Fail(s);
    };
  };

  CLI::App* gen = keys->add_subcommand("gen", "write a new key pair NAME.key (0600) and NAME.pub");
  gen->add_option("name", args->name, "file name of the pair, e.g. the host name")->required();
  gen->add_option("-o,--out", args->out_dir, "directory to write into")->capture_default_str();
  gen->callback(run([ctx, args] { return Gen(*ctx, *args); }));

  CLI::App* list = keys->add_subcommand("list", "pending, accepted and revoked keys (--state)");
  list->callback(run([ctx] { return List(*ctx); }));

  CLI::App* accept = keys->add_subcommand("accept", "let a key in (--state)");
  accept->add_option("key", args->key, "Z85 key, .pub file, or a unique prefix of a listed key");
  accept->add_option("--from", args->from_file, "a file of public keys, one per line");
  accept->add_option("--role", args->role, "agent (a host) or operator (the CLI)")
      ->capture_default_str()
      ->check(CLI::IsMember({"agent", "operator"}));
  accept->add_option("--name", args->name, "a name to show in `keys list`");
  accept->callback(run([ctx, args] { return Accept(*ctx, *args); }));

  CLI::App* revoke = keys->add_subcommand("revoke", "cut a key off at once (--state)");
  revoke->add_option("key", args->key, "Z85 key, .pub file, or a unique prefix")->required();
  revoke->callback(run([ctx, args] { return Revoke(*ctx, *args); }));
}

}  // namespace drover::cli
