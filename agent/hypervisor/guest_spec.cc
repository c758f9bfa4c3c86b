#include "agent/hypervisor/guest_spec.h"

#include <cstdio>
#include <regex>

namespace drover::hv {
namespace {

bool ValidName(const std::string& name) {
  static const std::regex kName("[A-Za-z0-9_.-]{1,64}");
  return std::regex_match(name, kName) && name != "." && name != "..";
}

bool ValidMac(const std::string& mac) {
  static const std::regex kMac("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");
  return std::regex_match(mac, kMac);
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

template <typename T>
Status Field(const nlohmann::json& j, const char* key, T* out, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return required ? InvalidArgument(std::string("guest spec: missing field ") + key)
                    : Status::Ok();
  }
  try {
    *out = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgument(std::string("guest spec: field ") + key + " has the wrong type");
  }
  return Status::Ok();
}

}  // namespace

Status Validate(const GuestSpec& spec) {
  if (!ValidName(spec.name)) return InvalidArgument("guest name '" + spec.name + "' is not valid");
  if (spec.vcpus < 1 || spec.vcpus > 512) return InvalidArgument("vcpus out of range (1..512)");
  if (spec.memory_mib < 16) return InvalidArgument("memory_mib below 16");
  for (size_t i = 0; i < spec.disks.size(); ++i) {
    const DiskSpec& d = spec.disks[i];
    std::string where = "disks[" + std::to_string(i) + "]";
    if (d.path.empty() || d.path.find(',') != std::string::npos) {
      return InvalidArgument(where + ".path is empty or contains a comma");
    }
    if (d.format != "raw" && d.format != "qcow2") return InvalidArgument(where + ".format unknown");
  }
  for (size_t i = 0; i < spec.nics.size(); ++i) {
    if (!spec.nics[i].mac.empty() && !ValidMac(spec.nics[i].mac)) {
      return InvalidArgument("nics[" + std::to_string(i) + "].mac is not a MAC address");
    }
  }
  if (spec.kernel.empty() && !spec.initrd.empty()) return InvalidArgument("initrd without kernel");
  return Status::Ok();
}

std::string DerivedMac(const std::string& seed, const std::string& prefix) {
  uint64_t h = Fnv1a(seed);
  char tail[16];
  std::snprintf(tail, sizeof tail, ":%02x:%02x:%02x", static_cast<unsigned>(h & 0xff),
                static_cast<unsigned>((h >> 8) & 0xff), static_cast<unsigned>((h >> 16) & 0xff));
  return prefix + tail;
}

Result<GuestSpec> CloneSpec(const GuestSpec& original, const std::string& new_name,
                            const std::vector<std::string>& new_disk_paths,
                            const std::string& mac_prefix) {
  if (new_name == original.name) return Err(InvalidArgument("a clone needs a new name"));
  if (new_disk_paths.size() != original.disks.size()) {
    return Err(InvalidArgument("clone of " + original.name + ": " +
                               std::to_string(original.disks.size()) + " disks, " +
                               std::to_string(new_disk_paths.size()) + " given"));
  }
  GuestSpec clone = original;
  clone.name = new_name;
  for (size_t i = 0; i < clone.disks.size(); ++i) clone.disks[i].path = new_disk_paths[i];
  for (size_t i = 0; i < clone.nics.size(); ++i) {
    clone.nics[i].mac = DerivedMac(new_name + "/" + std::to_string(i), mac_prefix);
  }
  RETURN_IF_ERROR(Validate(clone));
  return clone;
}

nlohmann::json ToJson(const GuestSpec& spec) {
  nlohmann::json disks = nlohmann::json::array();
  for (const auto& d : spec.disks) {
    disks.push_back(
        {{"path", d.path}, {"format", d.format}, {"cache", d.cache}, {"read_only", d.read_only}});
  }
  nlohmann::json nics = nlohmann::json::array();
  for (const auto& n : spec.nics) nics.push_back({{"mac", n.mac}, {"bridge", n.bridge}});
  return {{"name", spec.name},     {"vcpus", spec.vcpus},    {"memory_mib", spec.memory_mib},
          {"disks", disks},        {"nics", nics},           {"kernel", spec.kernel},
          {"initrd", spec.initrd}, {"cmdline", spec.cmdline}};
}

Result<GuestSpec> GuestSpecFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Err(InvalidArgument("guest spec: not a JSON object"));
  GuestSpec spec;
  RETURN_IF_ERROR(Field(j, "name", &spec.name, true));
  RETURN_IF_ERROR(Field(j, "vcpus", &spec.vcpus, false));
  RETURN_IF_ERROR(Field(j, "memory_mib", &spec.memory_mib, false));
  RETURN_IF_ERROR(Field(j, "kernel", &spec.kernel, false));
  RETURN_IF_ERROR(Field(j, "initrd", &spec.initrd, false));
  RETURN_IF_ERROR(Field(j, "cmdline", &spec.cmdline, false));
  std::vector<nlohmann::json> disks, nics;
  RETURN_IF_ERROR(Field(j, "disks", &disks, false));
  RETURN_IF_ERROR(Field(j, "nics", &nics, false));
  for (const auto& d : disks) {
    if (!d.is_object()) return Err(InvalidArgument("guest spec: disks[] entry is not an object"));
    DiskSpec disk;
    RETURN_IF_ERROR(Field(d, "path", &disk.path, true));
    RETURN_IF_ERROR(Field(d, "format", &disk.format, false));
    RETURN_IF_ERROR(Field(d, "cache", &disk.cache, false));
    RETURN_IF_ERROR(Field(d, "read_only", &disk.read_only, false));
    spec.disks.push_back(disk);
  }
  for (const auto& n : nics) {
    if (!n.is_object()) return Err(InvalidArgument("guest spec: nics[] entry is not an object"));
    NicSpec nic;
    RETURN_IF_ERROR(Field(n, "mac", &nic.mac, false));
    RETURN_IF_ERROR(Field(n, "bridge", &nic.bridge, false));
    spec.nics.push_back(nic);
  }
  RETURN_IF_ERROR(Validate(spec));
  return spec;
}

}  // namespace drover::hv
