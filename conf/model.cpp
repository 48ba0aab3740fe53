// Names of the model's enumerations, as config files and logs spell them.
#include "conf/model.h"

namespace meridian::model {

const char* to_string(Status status) {
  switch (status) {
    case Status::CheckingEndpoint: return "CheckingEndpoint";
    case Status::Online: return "Online";
    case Status::Degraded: return "Degraded";
    case Status::Disabled: return "Disabled";
    case Status::Inactive: return "Inactive";
    case Status::Stopped: return "Stopped";
    case Status::NotMonitored: return "NotMonitored";
  }
  return "?";
}

const char* to_string(Method method) {
  switch (method) {
    case Method::priority: return "priority";
    case Method::weighted: return "weighted";
    case Method::performance: return "performance";
    case Method::geographic: return "geographic";
    case Method::multivalue: return "multivalue";
    case Method::subnet: return "subnet";
  }
  return "?";
}

const char* to_string(MonitorProtocol protocol) {
  switch (protocol) {
    case MonitorProtocol::http: return "http";
    case MonitorProtocol::https: return "https";
    case MonitorProtocol::tcp: return "tcp";
    case MonitorProtocol::none: return "none";
  }
  return "?";
}

}  // namespace meridian::model
