#include "orchestrator/cli/cli_context.h"

#include <cstdlib>
#include <random>

#include "common/config.h"
#include "common/wire/codec.h"
#include "common/wire/protocol.h"
#include "common/wire/transport.h"

namespace drover::cli {

void CliContext::Fail(const Status& s) {
  *err << "drover: " << s.message() << "\n";
  exit_code = s.code() == Code::kInvalidArgument ? 2 : s.code() == Code::kInfeasible ? 3 : 1;
}

void AddGlobalOptions(CLI::App& app, CliContext* ctx) {
  if (const char* env = std::getenv("DROVER_CONFIG")) ctx->config_file = env;
  app.add_option("--config", ctx->config_file,
                 "JSON config file of the CLI (keys: connect, orchestrator_key, key, state, "
                 "timeout_ms) [$DROVER_CONFIG]");
  app.add_option("--connect", ctx->connect, "the daemon's control endpoint")->capture_default_str();
  app.add_option("--orchestrator-key", ctx->orchestrator_key,
                 "the daemon's public key (.pub file or Z85)");
  app.add_option("--key", ctx->key, "the operator's secret key file (accepted as operator)");
  app.add_option("--state", ctx->state, "the orchestrator's SQLite state file")
      ->capture_default_str();
  app.add_option("--timeout-ms", ctx->timeout_ms, "how long to wait for the daemon")
      ->capture_default_str();
  app.add_flag("--json", ctx->json, "print JSON instead of tables");
}

Status ResolveGlobalOptions(CLI::App& app, CliContext* ctx) {
  if (ctx->config_file.empty()) return Status::Ok();
  using enum JsonType;
  auto file = LoadConfigFile(ctx->config_file, {{"connect", kString},
                                                {"orchestrator_key", kString},
                                                {"key", kString},
                                                {"state", kString},
                                                {"timeout_ms", kInteger}});
  if (!file) return file.error();
  auto unset = [&](const char* flag) { return app.get_option(flag)->count() == 0; };
  if (unset("--connect")) ctx->connect = file->value("connect", ctx->connect);
  if (unset("--orchestrator-key"))
    ctx->orchestrator_key = file->value("orchestrator_key", ctx->orchestrator_key);
  if (unset("--key")) ctx->key = file->value("key", ctx->key);
  if (unset("--state")) ctx->state = file->value("state", ctx->state);
  if (unset("--timeout-ms")) ctx->timeout_ms = file->value("timeout_ms", ctx->timeout_ms);
  return Status::Ok();
}

Result<nlohmann::json> AskDaemon(const CliContext& ctx, const std::string& type,
                                 nlohmann::json body) {
  if (ctx.key.empty() || ctx.orchestrator_key.empty()) {
    return Err(InvalidArgument(
        "talking to the daemon needs --key (operator key) and --orchestrator-key, or --config"));
  }
  ASSIGN_OR_RETURN(wire::KeyPair key, wire::LoadKeyPair(ctx.key));
  ASSIGN_OR_RETURN(std::string server_key, wire::LoadPublicKey(ctx.orchestrator_key));
  ASSIGN_OR_RETURN(auto socket, wire::ClientSocket::Connect(ctx.connect, server_key, key));
  auto timeout = std::chrono::milliseconds(ctx.timeout_ms);
  Status connected = socket->WaitConnected(timeout);
  if (connected.code() == Code::kPermissionDenied) {
    return Err(PermissionDenied("the daemon at " + ctx.connect + " refused operator key " +
                                key.public_z85 + ": run `drover keys accept " + key.public_z85 +
                                " --role operator` on the orchestrator"));
  }
  if (!connected.ok()) {
    return Err(
        Unavailable("cannot reach the daemon at " + ctx.connect + ": " + connected.message()));
  }
  std::random_device rd;
  std::string id = "cli-" + std::to_string(rd()) + "-1";
  RETURN_IF_ERROR(socket->Send(wire::Encode(wire::MakeRequest(type, id, std::move(body)))));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    ASSIGN_OR_RETURN(auto frame, socket->Receive(std::chrono::milliseconds(100)));
    if (!frame) continue;
    auto reply = wire::Decode(*frame, wire::kMaxFrameBytes);
    if (!reply) return Err(reply.error().WithContext("reply from the daemon"));
    if (reply->re != id) continue;
    Status error = wire::ErrorOf(*reply);
    if (!error.ok()) return Err(error);
    return reply->body;
  }
  return Err(Timeout("the daemon did not answer " + type + " within " +
                     std::to_string(ctx.timeout_ms) + " ms"));
}

}  // namespace drover::cli
