#!/bin/sh
# Creates Tocsin's topics before any Tocsin service starts: compose service `topics`, Kubernetes
# Job `tocsin-topics` (deploy/k8s/topics-job.yaml carries a copy; a test keeps them equal).
# Idempotent: a second run creates nothing and re-applies the topic settings.
#
# Why not let the services create them? They do, as a fallback, but with replication factor 1 and
# the broker's default retention. A partition's state is rebuilt from its newest snapshot (the
# tocsin.*.state topics) plus the input after it, but from the whole input after an upgrade
# (snapshots are only read by the code that wrote them), so the input topics keep every record:
# retention.ms=-1. Snapshots are only a shortcut: their topics keep a week.
# Never change the partition count of an existing topic: a correlation domain's partition is
# chosen from the count, so more partitions would split domains across correlators.
set -eu

bootstrap="${KAFKA_BOOTSTRAP:-kafka:9092}"
partitions="${TOCSIN_PARTITIONS:-4}"
replication="${TOPIC_REPLICATION_FACTOR:-1}"
min_isr="${TOPIC_MIN_INSYNC_REPLICAS:-1}"
bin="${KAFKA_BIN:-/opt/kafka/bin}"
topics="tocsin.alerts tocsin.payloads tocsin.incidents tocsin.notifications"
state_topics="tocsin.correlator.state tocsin.router.state tocsin.dispatcher.state tocsin.readmodel.state"
week_ms=604800000

tries=0
until "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --list >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "Kafka at $bootstrap did not answer within 2 minutes" >&2
    exit 1
  fi
  sleep 2
done

for topic in $topics $state_topics; do
  case "$topic" in
    *.state) retention="$week_ms" ;;
    *) retention=-1 ;;
  esac
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$replication" \
    --config retention.ms="$retention" --config min.insync.replicas="$min_isr"
  "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --alter --entity-type topics \
    --entity-name "$topic" --add-config "retention.ms=$retention,min.insync.replicas=$min_isr"
  actual=$("$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --describe --topic "$topic" \
    | sed -n 's/.*PartitionCount: *\([0-9][0-9]*\).*/\1/p' | head -n 1)
  if [ "$actual" != "$partitions" ]; then
    echo "topic $topic has ${actual:-no} partitions, TOCSIN_PARTITIONS says $partitions:" \
      "set TOCSIN_PARTITIONS to the existing count (partitions of a topic are never changed)" >&2
    exit 1
  fi
  echo "topic $topic: $partitions partitions, replication $replication, retention.ms $retention"
done
