package articles

import (
	"errors"
	"sync"
)

type Article struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

var (
	mu       sync.Mutex
	articles = map[string]Article{}
)

func All() []Article {
	mu.Lock()
	defer mu.Unlock()
	out := []Article{}
	for _, a := range articles {
		out = append(out, a)
	}
	return out
}

func Find(id string) (Article, error) {
	mu.Lock()
	defer mu.Unlock()
	a, ok := articles[id]
	if !ok {
		return Article{}, errors.New("article not found")
	}
	return a, nil
}

func Save(a Article) {
	mu.Lock()
	defer mu.Unlock()
	articles[a.ID] = a
}
