package main

import (
	"sort"
	"sync"
)

type Item struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Stock int    `json:"stock"`
}

type Store struct {
	mu    sync.RWMutex
	items map[int]Item
	next  int
}

func NewStore() *Store {
	return &Store{items: map[int]Item{}, next: 1}
}

func (s *Store) All() []Item {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Item, 0, len(s.items))
	for _, it := range s.items {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (s *Store) Get(id int) (Item, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	it, ok := s.items[id]
	return it, ok
}

func (s *Store) Add(it Item) Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	it.ID = s.next
	s.next++
	s.items[it.ID] = it
	return it
}
