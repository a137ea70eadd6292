package hooks

import (
	"sync"
	"unsafe"
)

// Record kinds of the sync package's waits. A lock is recorded once held
// and its unlock before it is released, so that in the records the next
// holder's lock always comes after.
const (
	KindLockBlock RecordKind = 15 + iota // Lock or RLock was not free at once and now waits: Obj the mutex, Aux LockWrite or LockRead
	KindLocked                           // the lock is held: Obj the mutex, Aux LockWrite or LockRead
	KindUnlock                           // about to unlock: Obj the mutex, Aux LockWrite or LockRead
	KindWaitBegin                        // WaitGroup.Wait begins: Obj the group
	KindWaitDone                         // WaitGroup.Wait returned: Obj the group
)

// Lock modes, in Aux.
const (
	LockWrite = 1
	LockRead  = 2
)

// A Locker is a *sync.Mutex or a *sync.RWMutex (its write lock).
type Locker interface {
	*sync.Mutex | *sync.RWMutex
	Lock()
	Unlock()
	TryLock() bool
}

// word is a pointer's address.
func word[P any](p P) uint64 { return uint64(*(*uintptr)(unsafe.Pointer(&p))) }

// Lock is mu.Lock(): LockBlock when it is not free at once, then Locked.
func Lock[M Locker](mu M, site int32) {
	r := rec
	if r == nil {
		mu.Lock()
		return
	}
	g, obj := r.goid(), word(mu)
	if !mu.TryLock() {
		r.put(KindLockBlock, 0, site, g, obj, 0, LockWrite, nil)
		mu.Lock()
	}
	r.put(KindLocked, 0, site, g, obj, 0, LockWrite, nil)
}

// TryLock is mu.TryLock(): Locked when it got the lock.
func TryLock[M Locker](mu M, site int32) bool {
	ok := mu.TryLock()
	if r := rec; r != nil && ok {
		r.put(KindLocked, 0, site, r.goid(), word(mu), 0, LockWrite, nil)
	}
	return ok
}

// Unlock is mu.Unlock(): the record comes first, so a panic of an unlock
// of an unlocked mutex still leaves it.
func Unlock[M Locker](mu M, site int32) {
	if r := rec; r != nil {
		r.put(KindUnlock, 0, site, r.goid(), word(mu), 0, LockWrite, nil)
	}
	mu.Unlock()
}

// RLock is mu.RLock().
func RLock(mu *sync.RWMutex, site int32) {
	r := rec
	if r == nil {
		mu.RLock()
		return
	}
	g, obj := r.goid(), word(mu)
	if !mu.TryRLock() {
		r.put(KindLockBlock, 0, site, g, obj, 0, LockRead, nil)
		mu.RLock()
	}
	r.put(KindLocked, 0, site, g, obj, 0, LockRead, nil)
}

// TryRLock is mu.TryRLock().
func TryRLock(mu *sync.RWMutex, site int32) bool {
	ok := mu.TryRLock()
	if r := rec; r != nil && ok {
		r.put(KindLocked, 0, site, r.goid(), word(mu), 0, LockRead, nil)
	}
	return ok
}

// RUnlock is mu.RUnlock().
func RUnlock(mu *sync.RWMutex, site int32) {
	if r := rec; r != nil {
		r.put(KindUnlock, 0, site, r.goid(), word(mu), 0, LockRead, nil)
	}
	mu.RUnlock()
}

// Wait is wg.Wait(). A WaitGroup cannot be asked whether it would block,
// so every Wait is recorded as a wait, however short.
func Wait(wg *sync.WaitGroup, site int32) {
	r := rec
	if r == nil {
		wg.Wait()
		return
	}
	g, obj := r.goid(), word(wg)
	r.put(KindWaitBegin, 0, site, g, obj, 0, 0, nil)
	wg.Wait()
	r.put(KindWaitDone, 0, site, g, obj, 0, 0, nil)
}
