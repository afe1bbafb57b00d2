package Test::MemScan;

# memory_copies($pid, name => $bytes, ...): every copy of each needle in a
# process's readable memory (/proc/PID/maps, /proc/PID/mem; root only), as
# { name => [ "mapping+0xOFFSET (perm): hex of 96 bytes around it" ] }.
# t/623 and t/711 use it to show that key bytes do not outlive their
# request in an nginx worker.

use strict;
use warnings;
use Exporter 'import';

no warnings 'portable';     # 64-bit addresses from /proc/PID/maps

our @EXPORT = qw(memory_copies);

sub memory_copies {
    my ($pid, %needles) = @_;
    my %found;
    open my $maps, '<', "/proc/$pid/maps" or die "maps: $!";
    open my $mem, '<:raw', "/proc/$pid/mem" or die "mem: $!";
    while (my $line = <$maps>) {
        my ($from, $to, $perm, $rest) =
            $line =~ /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/
            or next;
        next unless $perm =~ /^r/;
        next if $rest =~ /^\[(?:vvar|vsyscall)\]/;
        my ($a, $b) = (hex $from, hex $to);
        my $data = '';
        sysseek($mem, $a, 0) or next;
        my $got = sysread($mem, $data, $b - $a);
        next unless $got;
        for my $what (keys %needles) {
            my $at = 0;
            while (($at = index($data, $needles{$what}, $at)) >= 0) {
                my $ctx = substr($data, $at < 32 ? 0 : $at - 32, 96);
                push @{ $found{$what} },
                     sprintf("%s+0x%x (%s): %s", $rest || '[anon]', $at,
                             $perm, unpack('H*', $ctx));
                $at++;
            }
        }
    }
    return \%found;
}

1;
