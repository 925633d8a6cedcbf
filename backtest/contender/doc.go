// Package contender adapts the recommenders a backtest compares to the
// simulator's Vertical and Horizontal interfaces, each fed minute by minute
// with what the simulated pods showed:
//
//   - Pacer and PacerReplicas: pacer's policy engine (policy.Engine), as
//     pacer serve runs it, for container resources and for replicas.
//   - VPA: the Vertical Pod Autoscaler recommender's own logic, imported from
//     k8s.io/autoscaler/vertical-pod-autoscaler (its aggregate container
//     states, decaying histograms and estimators) with its default settings.
//   - KRR: krr's simple strategy as krr documents and implements it.
//   - HPA: the Horizontal Pod Autoscaler's algorithm on CPU utilization,
//     with its tolerance, its handling of pods not yet ready and its default
//     scaling behavior.
package contender
