// A toolbox of graph algorithms with a small self-checking demo:
// BFS, Dijkstra, Bellman-Ford, topological order, Tarjan's strongly
// connected components, Kruskal's minimum spanning tree with union-find,
// Dinic's maximum flow, bipartite matching and an LRU cache of routes.
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <list>
#include <map>
#include <numeric>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <stack>
#include <string>
#include <unordered_map>
#include <vector>

namespace graphs {

using Weight = long long;
constexpr Weight INF = std::numeric_limits<Weight>::max() / 4;

struct Edge {
    int from;
    int to;
    Weight weight;
};

class Graph {
public:
    explicit Graph(int n, bool directed = true) : adj_(n), directed_(directed) {}

    int size() const { return static_cast<int>(adj_.size()); }
    bool directed() const { return directed_; }

    void add_edge(int u, int v, Weight w = 1) {
        check(u);
        check(v);
        edges_.push_back({u, v, w});
        adj_[u].push_back({u, v, w});
        if (!directed_) adj_[v].push_back({v, u, w});
    }

    const std::vector<Edge>& neighbours(int u) const { return adj_[u]; }
    const std::vector<Edge>& edges() const { return edges_; }

private:
    void check(int u) const {
        if (u < 0 || u >= size()) {
            std::ostringstream msg;
            msg << "vertex " << u << " is outside 0.." << size() - 1;
            throw std::out_of_range(msg.str());
        }
    }

    std::vector<std::vector<Edge>> adj_;
    std::vector<Edge> edges_;
    bool directed_;
};

// ---------------------------------------------------------------------------
// Shortest paths
// ---------------------------------------------------------------------------

std::vector<int> bfs_distances(const Graph& g, int source) {
    std::vector<int> dist(g.size(), -1);
    std::queue<int> q;
    dist[source] = 0;
    q.push(source);
    while (!q.empty()) {
        int u = q.front();
        q.pop();
        for (const Edge& e : g.neighbours(u)) {
            if (dist[e.to] == -1) {
                dist[e.to] = dist[u] + 1;
                q.push(e.to);
            }
        }
    }
    return dist;
}

struct PathResult {
    std::vector<Weight> dist;
    std::vector<int> parent;

    std::vector<int> path_to(int target) const {
        std::vector<int> path;
        if (dist[target] >= INF) return path;
        for (int v = target; v != -1; v = parent[v]) path.push_back(v);
        std::reverse(path.begin(), path.end());
        return path;
    }
};

PathResult dijkstra(const Graph& g, int source) {
    PathResult r{std::vector<Weight>(g.size(), INF), std::vector<int>(g.size(), -1)};
    using Item = std::pair<Weight, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> pq;
    r.dist[source] = 0;
    pq.push({0, source});
    while (!pq.empty()) {
        auto [d, u] = pq.top();
        pq.pop();
        if (d != r.dist[u]) continue;
        for (const Edge& e : g.neighbours(u)) {
            if (e.weight < 0) throw std::invalid_argument("dijkstra needs non-negative weights");
            Weight nd = d + e.weight;
            if (nd < r.dist[e.to]) {
                r.dist[e.to] = nd;
                r.parent[e.to] = u;
                pq.push({nd, e.to});
            }
        }
    }
    return r;
}

std::optional<PathResult> bellman_ford(const Graph& g, int source) {
    PathResult r{std::vector<Weight>(g.size(), INF), std::vector<int>(g.size(), -1)};
    r.dist[source] = 0;
    for (int round = 0; round < g.size() - 1; ++round) {
        bool changed = false;
        for (const Edge& e : g.edges()) {
            if (r.dist[e.from] < INF && r.dist[e.from] + e.weight < r.dist[e.to]) {
                r.dist[e.to] = r.dist[e.from] + e.weight;
                r.parent[e.to] = e.from;
                changed = true;
            }
        }
        if (!changed) break;
    }
    for (const Edge& e : g.edges()) {
        if (r.dist[e.from] < INF && r.dist[e.from] + e.weight < r.dist[e.to]) return std::nullopt;
    }
    return r;
}

// ---------------------------------------------------------------------------
// Orderings and components
// ---------------------------------------------------------------------------

std::optional<std::vector<int>> topological_order(const Graph& g) {
    std::vector<int> indegree(g.size(), 0);
    for (const Edge& e : g.edges()) indegree[e.to]++;
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int v = 0; v < g.size(); ++v)
        if (indegree[v] == 0) ready.push(v);
    std::vector<int> order;
    while (!ready.empty()) {
        int u = ready.top();
        ready.pop();
        order.push_back(u);
        for (const Edge& e : g.neighbours(u))
            if (--indegree[e.to] == 0) ready.push(e.to);
    }
    if (static_cast<int>(order.size()) != g.size()) return std::nullopt;
    return order;
}

class Tarjan {
public:
    explicit Tarjan(const Graph& g) : g_(g), index_(g.size(), -1), low_(g.size(), 0), on_stack_(g.size(), false) {
        for (int v = 0; v < g.size(); ++v)
            if (index_[v] == -1) visit(v);
    }

    const std::vector<std::vector<int>>& components() const { return components_; }

private:
    void visit(int root) {
        // Iterative DFS so deep graphs do not overflow the call stack.
        std::vector<std::pair<int, size_t>> work{{root, 0}};
        while (!work.empty()) {
            auto& [v, next] = work.back();
            if (next == 0 && index_[v] == -1) {
                index_[v] = low_[v] = counter_++;
                stack_.push(v);
                on_stack_[v] = true;
            }
            const auto& out = g_.neighbours(v);
            if (next < out.size()) {
                int w = out[next++].to;
                if (index_[w] == -1) {
                    work.push_back({w, 0});
                } else if (on_stack_[w]) {
                    low_[v] = std::min(low_[v], index_[w]);
                }
                continue;
            }
            if (low_[v] == index_[v]) {
                std::vector<int> comp;
                int w;
                do {
                    w = stack_.top();
                    stack_.pop();
                    on_stack_[w] = false;
                    comp.push_back(w);
                } while (w != v);
                std::sort(comp.begin(), comp.end());
                components_.push_back(comp);
            }
            int finished = v;
            work.pop_back();
            if (!work.empty()) {
                int parent = work.back().first;
                low_[parent] = std::min(low_[parent], low_[finished]);
            }
        }
    }

    const Graph& g_;
    std::vector<int> index_, low_;
    std::vector<bool> on_stack_;
    std::stack<int> stack_;
    std::vector<std::vector<int>> components_;
    int counter_ = 0;
};

// ---------------------------------------------------------------------------
// Minimum spanning tree
// ---------------------------------------------------------------------------

class UnionFind {
public:
    explicit UnionFind(int n) : parent_(n), rank_(n, 0) { std::iota(parent_.begin(), parent_.end(), 0); }

    int find(int x) {
        while (parent_[x] != x) {
            parent_[x] = parent_[parent_[x]];
            x = parent_[x];
        }
        return x;
    }

    bool unite(int a, int b) {
        a = find(a);
        b = find(b);
        if (a == b) return false;
        if (rank_[a] < rank_[b]) std::swap(a, b);
        parent_[b] = a;
        if (rank_[a] == rank_[b]) rank_[a]++;
        return true;
    }

private:
    std::vector<int> parent_, rank_;
};

std::pair<Weight, std::vector<Edge>> kruskal(const Graph& g) {
    std::vector<Edge> edges = g.edges();
    std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
        return a.weight != b.weight ? a.weight < b.weight : std::tie(a.from, a.to) < std::tie(b.from, b.to);
    });
    UnionFind uf(g.size());
    Weight total = 0;
    std::vector<Edge> chosen;
    for (const Edge& e : edges) {
        if (uf.unite(e.from, e.to)) {
            total += e.weight;
            chosen.push_back(e);
        }
    }
    return {total, chosen};
}

// ---------------------------------------------------------------------------
// Maximum flow (Dinic)
// ---------------------------------------------------------------------------

class MaxFlow {
public:
    explicit MaxFlow(int n) : graph_(n), level_(n), next_(n) {}

    void add_edge(int u, int v, Weight cap) {
        graph_[u].push_back({v, static_cast<int>(graph_[v].size()), cap});
        graph_[v].push_back({u, static_cast<int>(graph_[u].size()) - 1, 0});
    }

    Weight run(int s, int t) {
        Weight flow = 0;
        while (levels(s, t)) {
            std::fill(next_.begin(), next_.end(), 0);
            while (Weight pushed = push(s, t, INF)) flow += pushed;
        }
        return flow;
    }

private:
    struct Arc {
        int to;
        int rev;
        Weight cap;
    };

    bool levels(int s, int t) {
        std::fill(level_.begin(), level_.end(), -1);
        std::queue<int> q;
        level_[s] = 0;
        q.push(s);
        while (!q.empty()) {
            int u = q.front();
            q.pop();
            for (const Arc& a : graph_[u]) {
                if (a.cap > 0 && level_[a.to] < 0) {
                    level_[a.to] = level_[u] + 1;
                    q.push(a.to);
                }
            }
        }
        return level_[t] >= 0;
    }

    Weight push(int u, int t, Weight limit) {
        if (u == t) return limit;
        for (int& i = next_[u]; i < static_cast<int>(graph_[u].size()); ++i) {
            Arc& a = graph_[u][i];
            if (a.cap <= 0 || level_[a.to] != level_[u] + 1) continue;
            Weight got = push(a.to, t, std::min(limit, a.cap));
            if (got > 0) {
                a.cap -= got;
                graph_[a.to][a.rev].cap += got;
                return got;
            }
        }
        return 0;
    }

    std::vector<std::vector<Arc>> graph_;
    std::vector<int> level_, next_;
};

int bipartite_matching(int left, int right, const std::vector<std::pair<int, int>>& pairs) {
    MaxFlow mf(left + right + 2);
    int s = left + right, t = s + 1;
    for (int i = 0; i < left; ++i) mf.add_edge(s, i, 1);
    for (int j = 0; j < right; ++j) mf.add_edge(left + j, t, 1);
    for (auto [i, j] : pairs) mf.add_edge(i, left + j, 1);
    return static_cast<int>(mf.run(s, t));
}

// ---------------------------------------------------------------------------
// A route cache, as a routing service would keep one
// ---------------------------------------------------------------------------

template <typename K, typename V>
class LruCache {
public:
    explicit LruCache(size_t capacity) : capacity_(capacity) {}

    std::optional<V> get(const K& key) {
        auto it = index_.find(key);
        if (it == index_.end()) {
            misses_++;
            return std::nullopt;
        }
        order_.splice(order_.begin(), order_, it->second);
        hits_++;
        return it->second->second;
    }

    void put(const K& key, V value) {
        auto it = index_.find(key);
        if (it != index_.end()) {
            it->second->second = std::move(value);
            order_.splice(order_.begin(), order_, it->second);
            return;
        }
        order_.emplace_front(key, std::move(value));
        index_[key] = order_.begin();
        if (order_.size() > capacity_) {
            index_.erase(order_.back().first);
            order_.pop_back();
        }
    }

    size_t hits() const { return hits_; }
    size_t misses() const { return misses_; }

private:
    size_t capacity_;
    std::list<std::pair<K, V>> order_;
    std::unordered_map<K, typename std::list<std::pair<K, V>>::iterator> index_;
    size_t hits_ = 0, misses_ = 0;
};

}  // namespace graphs

// ---------------------------------------------------------------------------
// Demo
// ---------------------------------------------------------------------------

namespace {

uint64_t rng_state = 88172645463325252ull;
uint64_t next_random() {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

graphs::Graph grid_city(int w, int h) {
    graphs::Graph g(w * h, false);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            int v = y * w + x;
            if (x + 1 < w) g.add_edge(v, v + 1, 1 + static_cast<graphs::Weight>(next_random() % 9));
            if (y + 1 < h) g.add_edge(v, v + w, 1 + static_cast<graphs::Weight>(next_random() % 9));
        }
    }
    return g;
}

std::string join(const std::vector<int>& xs, const char* sep = " ") {
    std::ostringstream out;
    for (size_t i = 0; i < xs.size(); ++i) out << (i ? sep : "") << xs[i];
    return out.str();
}

int checks = 0, failures = 0;
void expect(bool ok, const std::string& what) {
    checks++;
    if (!ok) {
        failures++;
        std::cout << "FAIL: " << what << "\n";
    }
}

}  // namespace

int main() {
    using namespace graphs;

    // Small hand-made cases with known answers.
    Graph dag(6);
    dag.add_edge(5, 2);
    dag.add_edge(5, 0);
    dag.add_edge(4, 0);
    dag.add_edge(4, 1);
    dag.add_edge(2, 3);
    dag.add_edge(3, 1);
    auto order = topological_order(dag);
    expect(order.has_value() && join(*order) == "4 5 0 2 3 1", "topological order");
    dag.add_edge(1, 5);
    expect(!topological_order(dag).has_value(), "a cycle has no topological order");

    Graph scc(8);
    for (auto [u, v] : std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {4, 5}, {5, 3}, {6, 5}, {6, 7}, {7, 6}}) scc.add_edge(u, v);
    Tarjan tarjan(scc);
    expect(tarjan.components().size() == 3, "three strongly connected components");

    Graph neg(4);
    neg.add_edge(0, 1, 4);
    neg.add_edge(0, 2, 5);
    neg.add_edge(2, 1, -3);
    neg.add_edge(1, 3, 2);
    auto bf = bellman_ford(neg, 0);
    expect(bf.has_value() && bf->dist[3] == 4, "Bellman-Ford with a negative edge");
    neg.add_edge(3, 2, -4);
    expect(!bellman_ford(neg, 0).has_value(), "a negative cycle is detected");

    MaxFlow mf(6);
    mf.add_edge(0, 1, 16);
    mf.add_edge(0, 2, 13);
    mf.add_edge(1, 2, 10);
    mf.add_edge(2, 1, 4);
    mf.add_edge(1, 3, 12);
    mf.add_edge(3, 2, 9);
    mf.add_edge(2, 4, 14);
    mf.add_edge(4, 3, 7);
    mf.add_edge(3, 5, 20);
    mf.add_edge(4, 5, 4);
    expect(mf.run(0, 5) == 23, "classic max-flow example is 23");
    expect(bipartite_matching(3, 3, {{0, 0}, {0, 1}, {1, 0}, {2, 2}}) == 3, "perfect matching of 3");

    // A city grid: routes, spanning tree, cached queries.
    const int W = 60, H = 40;
    Graph city = grid_city(W, H);
    auto hops = bfs_distances(city, 0);
    expect(hops[W * H - 1] == W + H - 2, "BFS hop count across the grid");
    auto from_depot = dijkstra(city, 0);
    auto route = from_depot.path_to(W * H - 1);
    auto [mst_weight, mst_edges] = kruskal(city);
    expect(static_cast<int>(mst_edges.size()) == W * H - 1, "spanning tree has V-1 edges");

    LruCache<int, Weight> cache(64);
    Weight served = 0;
    for (int i = 0; i < 400; ++i) {
        int target = static_cast<int>(next_random() % 96);
        if (auto hit = cache.get(target)) {
            served += *hit;
        } else {
            Weight d = from_depot.dist[target];
            cache.put(target, d);
            served += d;
        }
    }

    std::cout << "grid " << W << "x" << H << ": " << city.size() << " junctions, " << city.edges().size() << " roads\n";
    std::cout << "shortest route depot -> far corner: " << from_depot.dist[W * H - 1] << " minutes over " << route.size() - 1 << " roads\n";
    std::cout << "minimum spanning tree weight: " << mst_weight << "\n";
    std::cout << "route cache: " << cache.hits() << " hits, " << cache.misses() << " misses, total " << served << "\n";
    std::cout << "strongly connected components:";
    for (const auto& c : tarjan.components()) std::cout << " {" << join(c, ",") << "}";
    std::cout << "\n";
    std::cout << checks - failures << "/" << checks << " checks passed\n";
    return failures == 0 ? 0 : 1;
}
