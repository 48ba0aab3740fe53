#!/usr/bin/env python3
"""bench/make-scale-config.py: writes a Meridian config with N traffic profiles of 10 endpoints
each, its zone, and a query file that asks for every profile, for the scale runs.

usage: make-scale-config.py --profiles N --out DIR --port PORT --geo-db FILE [--endpoints 10]

Profiles cycle through priority, weighted, performance and geographic. Monitors are off
(protocol none), so no probe is ever sent; targets are documentation addresses (RFC 5737).
Writes DIR/meridian.yaml, DIR/scale.test.zone and DIR/queries.txt (for meridian-loadgen: every
answer must be one of the profile's endpoints).
"""
import argparse
import os

REGIONS = ["azure:eastus", "azure:westeurope", "azure:southeastasia", "azure:westus", "azure:northeurope",
           "azure:eastasia", "azure:australiaeast", "azure:brazilsouth", "azure:japaneast", "azure:uksouth"]
# One code set per endpoint; a code is owned by at most one endpoint of a profile.
GEO_CODES = [["WORLD"], ["GEO-EU"], ["GEO-NA"], ["GEO-SA"], ["GEO-AF"], ["GEO-ME"], ["JP"], ["KR"], ["US"], ["GB"]]
METHODS = ["priority", "weighted", "performance", "geographic"]
DOC_NETS = ["192.0.2", "198.51.100", "203.0.113"]


def address(profile, endpoint):
    index = (profile * 10 + endpoint) % (3 * 254)
    return f"{DOC_NETS[index // 254]}.{index % 254 + 1}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", type=int, required=True)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--out", required=True)
    parser.add_argument("--port", type=int, default=15310)
    parser.add_argument("--geo-db", required=True)
    args = parser.parse_args()
    if not 1 <= args.endpoints <= len(GEO_CODES):
        parser.error(f"--endpoints must be 1..{len(GEO_CODES)}")
    os.makedirs(args.out, exist_ok=True)

    with open(os.path.join(args.out, "scale.test.zone"), "w") as zone:
        zone.write("$ORIGIN scale.test.\n$TTL 3600\n"
                   "@ IN SOA ns1.scale.test. hostmaster.scale.test. 1 7200 3600 1209600 300\n"
                   "  IN NS ns1\nns1 IN A 192.0.2.53\n")

    with open(os.path.join(args.out, "meridian.yaml"), "w") as config, \
            open(os.path.join(args.out, "queries.txt"), "w") as queries:
        config.write(f"# bench/make-scale-config.py --profiles {args.profiles} --endpoints {args.endpoints}\n"
                     f"server:\n  listen: [\"127.0.0.1:{args.port}\"]\n  workers: 1\n  allow_root: true\n"
                     # the load comes from loopback: never rate-limited
                     "rrl:\n  whitelist: [127.0.0.0/8]\n"
                     f"geo:\n  databases: [\"{os.path.abspath(args.geo_db)}\"]\n"
                     "zones:\n  - origin: scale.test\n    file: scale.test.zone\nprofiles:\n")
        for p in range(args.profiles):
            method = METHODS[p % len(METHODS)]
            config.write(f"  - name: p{p}\n    fqdn: p{p}.scale.test\n    method: {method}\n    ttl: 30\n"
                         "    monitor: {protocol: none}\n    endpoints:\n")
            targets = []
            for e in range(args.endpoints):
                target = address(p, e)
                targets.append(target)
                fields = [f"name: e{e}", f"target: {target}"]
                if method == "priority":
                    fields.append(f"priority: {e + 1}")
                elif method == "weighted":
                    fields.append(f"weight: {e + 1}")
                elif method == "performance":
                    fields.append(f"location: \"{REGIONS[e % len(REGIONS)]}\"")
                else:
                    fields.append("geo: [" + ", ".join(GEO_CODES[e]) + "]")
                config.write("      - {" + ", ".join(fields) + "}\n")
            if method == "priority":
                expected = targets[0]  # every endpoint is available (no monitor): the first wins
            else:
                expected = "|".join(sorted(set(targets)))
            queries.write(f"p{p}.scale.test A NOERROR {expected}\n")


if __name__ == "__main__":
    main()
