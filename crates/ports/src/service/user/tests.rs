//! User use cases against mocked ports.

use std::sync::Arc;

use hourglass_domain::ids::UserId;
use hourglass_domain::profile::{Nickname, ProfileImage};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::FieldUpdate;
use mockall::predicate::eq;

use super::*;
use crate::clock::MockClock;
use crate::user::MockUserRepository;

const ALICE: UserId = UserId::new(7);

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(1_767_225_600 + seconds) else {
        panic!("in range")
    };
    t
}

fn nickname(raw: &str) -> Nickname {
    let Ok(nickname) = Nickname::parse(raw) else {
        panic!("valid nickname {raw}")
    };
    nickname
}

fn claims() -> InitialProfile {
    let Ok(picture) = ProfileImage::parse("https://example.com/alice.png") else {
        panic!("valid url")
    };
    InitialProfile {
        nickname: nickname("alice"),
        profile_image: Some(picture),
    }
}

fn user(nick: &str) -> User {
    User {
        id: ALICE,
        subject: "alice-sub".to_owned(),
        nickname: nickname(nick),
        profile_image: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

fn service(users: MockUserRepository) -> UserService {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(at(60));
    UserService::new(Arc::new(users), Arc::new(clock))
}

fn unavailable() -> StorageError {
    StorageError::Unavailable("connection refused".into())
}

fn alice_signs_in() -> SignIn {
    SignIn {
        identity: crate::user::Identity {
            issuer: "https://issuer".to_owned(),
            subject: "alice-sub".to_owned(),
        },
        issued_at: Some(at(30)),
        claims_legacy_users: true,
    }
}

#[tokio::test]
async fn sign_in_finds_or_creates_the_identity_at_the_clock_time() -> Result<(), SignInError> {
    let mut users = MockUserRepository::new();
    users
        .expect_find_or_create()
        .withf(|sign_in, initial, now| {
            *sign_in == alice_signs_in() && *initial == claims() && *now == at(60)
        })
        .times(1)
        .returning(|_, _, _| Ok(user("alice")));
    let signed_in = service(users).sign_in(&alice_signs_in(), claims()).await?;
    assert_eq!(signed_in.id, ALICE);
    Ok(())
}

#[tokio::test]
async fn sign_in_propagates_a_deleted_account_and_a_storage_failure() {
    let mut users = MockUserRepository::new();
    users
        .expect_find_or_create()
        .times(1)
        .returning(|_, _, _| Err(SignInError::AccountDeleted));
    let result = service(users).sign_in(&alice_signs_in(), claims()).await;
    assert!(matches!(result, Err(SignInError::AccountDeleted)));

    let mut users = MockUserRepository::new();
    users
        .expect_find_or_create()
        .returning(|_, _, _| Err(unavailable().into()));
    let result = service(users).sign_in(&alice_signs_in(), claims()).await;
    assert!(matches!(
        result,
        Err(SignInError::Storage(StorageError::Unavailable(_)))
    ));
}

#[tokio::test]
async fn get_returns_the_user() -> Result<(), UserServiceError> {
    let mut users = MockUserRepository::new();
    users
        .expect_find()
        .with(eq(ALICE))
        .times(1)
        .returning(|_| Ok(Some(user("alice"))));
    assert_eq!(service(users).get(ALICE).await?, user("alice"));
    Ok(())
}

#[tokio::test]
async fn get_of_a_missing_user_is_not_found() {
    let mut users = MockUserRepository::new();
    users.expect_find().returning(|_| Ok(None));
    let result = service(users).get(UserId::new(404)).await;
    let Err(err) = result else {
        panic!("must be missing")
    };
    assert!(matches!(err, UserServiceError::NotFound));
    assert_eq!(err.to_string(), "user not found");
}

#[tokio::test]
async fn get_propagates_a_storage_failure() {
    let mut users = MockUserRepository::new();
    users.expect_find().returning(|_| Err(unavailable()));
    let result = service(users).get(ALICE).await;
    assert!(matches!(
        result,
        Err(UserServiceError::Storage(StorageError::Unavailable(_)))
    ));
}

#[tokio::test]
async fn update_profile_applies_the_change_at_the_clock_time() -> Result<(), UserServiceError> {
    let update = ProfileUpdate {
        nickname: Some(nickname("alice2")),
        profile_image: FieldUpdate::Clear,
    };
    let expected = update.clone();
    let mut users = MockUserRepository::new();
    users
        .expect_update_profile()
        .with(eq(ALICE), eq(expected), eq(at(60)))
        .times(1)
        .returning(|_, _, _| Ok(user("alice2")));
    let updated = service(users).update_profile(ALICE, update).await?;
    assert_eq!(updated.nickname.as_str(), "alice2");
    Ok(())
}

#[tokio::test]
async fn update_profile_of_a_missing_user_is_not_found() {
    let mut users = MockUserRepository::new();
    users
        .expect_update_profile()
        .returning(|_, _, _| Err(UpdateUserError::NotFound));
    let result = service(users)
        .update_profile(ALICE, ProfileUpdate::default())
        .await;
    assert!(matches!(result, Err(UserServiceError::NotFound)));
}

#[tokio::test]
async fn update_profile_propagates_a_storage_failure() {
    let mut users = MockUserRepository::new();
    users
        .expect_update_profile()
        .returning(|_, _, _| Err(UpdateUserError::Storage(unavailable())));
    let result = service(users)
        .update_profile(ALICE, ProfileUpdate::default())
        .await;
    assert!(matches!(
        result,
        Err(UserServiceError::Storage(StorageError::Unavailable(_)))
    ));
}
