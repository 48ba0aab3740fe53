#!/usr/bin/perl
# Writes sim-clients.mmdb: where the bundled failover scenarios' clients are, in the GeoIP2 City
# layout Meridian reads. One /24 per city, all in 198.18.0.0/15 (RFC 2544's benchmarking range):
# a scenario's client only claims the subnet in its queries' ECS option, nothing is sent there.
# Regenerate with Debian's libmaxmind-db-writer-perl:
#   perl examples/scenarios/geo/make-sim-clients.pl examples/scenarios/geo/sim-clients.mmdb
use strict;
use warnings;

use MaxMind::DB::Writer::Tree;

my $output = shift @ARGV or die "usage: $0 OUTPUT.mmdb\n";

my %types = (
    continent    => 'map',
    country      => 'map',
    location     => 'map',
    subdivisions => [ 'array', 'map' ],
    code         => 'utf8_string',
    iso_code     => 'utf8_string',
    latitude     => 'double',
    longitude    => 'double',
);

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version    => 6,
    record_size   => 24,
    database_type => 'meridian-sim-clients',
    languages     => ['en'],
    description   => { en => 'Where the Meridian failover scenarios place their clients' },
    map_key_type_callback => sub { $types{ $_[0] } },
    remove_reserved_networks => 0,  # 198.18.0.0/15 is reserved; keep it
    alias_ipv6_to_ipv4 => 1,
);

# [network, continent, country, subdivision, latitude, longitude]
my @cities = (
    [ '198.18.1.0/24',  'EU', 'GB', 'ENG', 51.5074,  -0.1278 ],   # London
    [ '198.18.2.0/24',  'EU', 'IE', 'L',   53.3498,  -6.2603 ],   # Dublin
    [ '198.18.3.0/24',  'EU', 'NL', 'NH',  52.3676,   4.9041 ],   # Amsterdam
    [ '198.18.4.0/24',  'EU', 'DE', 'HE',  50.1109,   8.6821 ],   # Frankfurt
    [ '198.18.5.0/24',  'AS', 'SG', '01',   1.3521, 103.8198 ],   # Singapore
    [ '198.18.6.0/24',  'AS', 'JP', '13',  35.6762, 139.6503 ],   # Tokyo
    [ '198.18.7.0/24',  'NA', 'US', 'VA',  38.9072, -77.0369 ],   # Washington
    [ '198.18.8.0/24',  'NA', 'US', 'CA',  37.7749, -122.4194 ],  # San Francisco
    [ '198.18.9.0/24',  'OC', 'AU', 'NSW', -33.8688, 151.2093 ],  # Sydney
    [ '198.18.10.0/24', 'SA', 'BR', 'SP', -23.5505, -46.6333 ],   # Sao Paulo
);

for my $city (@cities) {
    my ($network, $continent, $country, $subdivision, $lat, $lon) = @$city;
    $tree->insert_network($network, {
        continent    => { code => $continent },
        country      => { iso_code => $country },
        subdivisions => [ { iso_code => $subdivision } ],
        location     => { latitude => $lat, longitude => $lon },
    });
}

open my $fh, '>:raw', $output or die "$output: $!\n";
$tree->write_tree($fh);
close $fh;
