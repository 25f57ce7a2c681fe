package org.example.petclinic.owner;

import java.util.List;

import org.springframework.stereotype.Service;

@Service
public class OwnerService {

    private final OwnerRepository owners;

    public OwnerService(OwnerRepository owners) {
        this.owners = owners;
    }

    public List<Owner> findByLastName(String lastName) {
        if (lastName == null || lastName.strip().length() < 2) {
            return owners.findAll();
        }
        return owners.findByLastNameStartingWith(lastName);
    }

    public Owner findById(int id) {
        return owners.findById(id).orElseThrow(() -> new OwnerNotFoundException(id));
    }

    public Owner save(Owner owner) {
        return owners.save(owner);
    }

    public void delete(int id) {
        owners.deleteById(id);
    }
}
