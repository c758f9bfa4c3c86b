#include "tests/agent/sync/sync_fixture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "agent/sync/ticket.h"

namespace drover::sync::testing {

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/drover-sync-test-XXXXXX";
  path_ = ::mkdtemp(tmpl);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void FillRandom(std::vector<uint8_t>& bytes, uint64_t offset, uint64_t length,
                std::mt19937_64& rng) {
  for (uint64_t i = offset; i < std::min<uint64_t>(bytes.size(), offset + length); ++i) {
    bytes[i] = static_cast<uint8_t>(rng());
  }
}

const Keys& TestKeys() {
  static const Keys keys = [] {
    Keys k;
    k.source = *wire::GenerateKeyPair();
    k.destination = *wire::GenerateKeyPair();
    k.stranger = *wire::GenerateKeyPair();
    return k;
  }();
  return keys;
}

PairResult SyncFiles(const std::string& source, const std::string& target,
                     const std::string& state_dir,
                     const std::function<void(SenderOptions&)>& tweak_sender,
                     const std::function<void(ReceiverOptions&)>& tweak_receiver) {
  const Keys& keys = TestKeys();
  PairResult out;
  ReceiverOptions ro;
  ro.ticket = *NewTicket();
  ro.source_public_key = keys.source.public_z85;
  ro.own_keys = keys.destination;
  ro.target_path = target;
  ro.state_dir = state_dir;
  ro.accept_timeout = std::chrono::milliseconds(10000);
  ro.peer_timeout = std::chrono::milliseconds(5000);
  if (tweak_receiver) tweak_receiver(ro);
  auto receiver = Receiver::Bind(ro);
  if (!receiver) {
    out.receiver = Err(receiver.error());
    return out;
  }
  std::thread t([&] { out.receiver = (*receiver)->Run(); });
  SenderOptions so;
  so.endpoint = (*receiver)->endpoint();
  so.server_public_key = keys.destination.public_z85;
  so.own_keys = keys.source;
  so.ticket = ro.ticket;
  so.source_path = source;
  so.peer_timeout = std::chrono::milliseconds(5000);
  if (tweak_sender) tweak_sender(so);
  out.sender = RunSender(so);
  t.join();
  return out;
}

}  // namespace drover::sync::testing
